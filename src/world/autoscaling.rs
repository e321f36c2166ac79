//! A cloud autoscaling group for a world without an orchestrator: target
//! tracking on the group's average CPU. Every period it computes the
//! capacity the load needs, ⌈in service × average CPU / target⌉, where only
//! instances past their warm-up are in service and make the average; the
//! instances still booting or warming up count toward the group's size, so
//! they are not asked for twice. It adds instances at once (they still have
//! to boot before they serve) and removes them only once the cooldown since
//! its last change has passed and no instance is warming up, within min and
//! max.

use super::{Due, EventKind, World};
use crate::engine::SimTime;
use crate::model::spec::Action;
use crate::model::{InstanceId, Phase};

#[derive(Clone, Debug, Default)]
pub(super) struct GroupState {
    /// CPU work per instance at the last evaluation.
    last_work: std::collections::BTreeMap<InstanceId, (f64, SimTime)>,
    last_change: Option<SimTime>,
}

impl World {
    pub(super) fn init_autoscaling(&mut self) {
        if self.spec.autoscaling.is_none() {
            return;
        }
        self.autoscaling = Some(GroupState::default());
        // The first evaluation, at the start, brings the group to its minimum size.
        self.queue.schedule(SimTime::ZERO, Due::AutoscalingGroup);
    }

    pub(super) fn evaluate_group(&mut self) {
        let Some(group) = self.spec.autoscaling.clone() else { return };
        let now = self.now;
        self.queue.schedule(now + group.period, Due::AutoscalingGroup);
        let members: Vec<InstanceId> = self
            .instances
            .iter()
            .filter(|i| i.workload.0 == group.app.0 && (i.phase.is_pending() || i.phase == Phase::Running))
            .map(|i| i.id)
            .collect();
        let size = members.len() as u32;

        // Average CPU over running instances past their warm-up.
        let mut utilizations = Vec::new();
        let cores: Vec<f64> = members.iter().map(|&id| self.cores_held(id)).collect();
        let state = self.autoscaling.as_mut().expect("an autoscaling group");
        let traffic = self.traffic.as_deref();
        for (&id, &cores) in members.iter().zip(&cores) {
            let inst = &self.instances[id.index()];
            let work = traffic.map_or(0.0, |t| t.work(id, now));
            let last = state.last_work.insert(id, (work, now));
            let warmed = inst.entered(Phase::Running).is_some_and(|t| now.since(t) >= group.warmup);
            if let (Some((before, at)), true) = (last, warmed && inst.phase == Phase::Running) {
                let window = now.since(at).as_secs_f64();
                if window > 0.0 {
                    utilizations.push((work - before) / window / cores * 100.0);
                }
            }
        }
        state.last_work.retain(|id, _| members.contains(id));
        if utilizations.is_empty() {
            if size < group.min {
                self.scale_group(group.app, size, group.min, "below the minimum");
            }
            return;
        }
        let average = utilizations.iter().sum::<f64>() / utilizations.len() as f64;
        let in_service = utilizations.len() as f64;
        let desired = (libm::ceil(in_service * average / group.target_cpu_percent) as u32).clamp(group.min, group.max);
        let cooled =
            self.autoscaling.as_ref().and_then(|s| s.last_change).is_none_or(|t| now.since(t) >= group.cooldown);
        let reason = format!("average CPU {average:.0}% against a target of {:.0}%", group.target_cpu_percent);
        // No scale-in while instances are still booting or warming up.
        let settled = utilizations.len() as u32 == size;
        if desired > size || (desired < size && cooled && settled) {
            self.scale_group(group.app, size, desired, &reason);
        }
    }

    fn scale_group(&mut self, app: crate::model::AppId, from: u32, to: u32, reason: &str) {
        let now = self.now;
        if let Some(s) = self.autoscaling.as_mut() {
            s.last_change = Some(now);
        }
        self.emit(EventKind::Scaled {
            by: "AutoscalingGroup".into(),
            target: self.setup.apps[app.index()].name.clone(),
            from,
            to,
            reason: reason.to_string(),
        });
        let action =
            if to > from { Action::Launch { app, count: to - from } } else { Action::Stop { app, count: from - to } };
        self.act(&action, false);
    }
}
