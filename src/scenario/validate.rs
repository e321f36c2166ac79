//! From the raw file to a checked [`Scenario`]: names resolved to typed ids,
//! defaults filled in from the parameter sheet, sizes bounded, and every
//! problem gathered with its field path before any is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::behaviours;
use crate::engine::{Distribution, SimDuration};
use crate::model::quantity::{Bytes, GIB, MAX_BYTES};
use crate::model::spec::{
    Action, AppSpec, BlobKind, BlobSpec, ContainerPlatform, DEFAULT_NIC, DedicatedPlatform, HostSpec, ImageSpec,
    MicroVmPlatform, Platform, PowerSpec, RegistrySpec, Setup, TimedAction, VmImageSpec, VmPlatform, WorldSpec,
};
use crate::model::{AppId, BlobId, HostId, ImageId, VmImageId};

use super::budget::{self, Budget, Estimate};
use super::error::{Problem, ScenarioError, quoted};
use super::expect;
use super::file::LoadFile;
use super::file::{
    ActionFile, At, ClusterAutoscalerFile, ContainerFile, DeploymentFile, FocusFile, HpaFile, IntOrPercentFile,
    KubeObjectFile, KubernetesFile, MetricFile, MetricTargetFile, NodesFile, PlatformFile, PodDisruptionBudgetFile,
    PodFile, PodTemplateFile, PowerFile, ReplicaSetFile, ScalingPolicyType, ScalingRulesFile, ScenarioFile,
    SelectPolicyFile, StrategyFile, TrafficFile, TrafficServiceFile,
};
use super::manifests;
use super::{LessonChart, LessonFocus, LessonStep, Question, Scenario};
use crate::behaviours::hpa::{Behavior, HpaConfig, ScalingPolicy, ScalingRules, SelectPolicy, Tolerances};
use crate::behaviours::kubelet;
use crate::behaviours::scheduler::plugins::image_locality::normalized_image_name;
use crate::model::Millicores;
use crate::model::hpa::{MetricResource, MetricSource, MetricSpec, MetricTarget, PODS_METRICS};
use crate::model::kube::{
    ContainerSpec, DeploymentSpec, DeploymentStrategy, IntOrPercent, PodTemplate, ReplicaSetSpec, ServiceSpec,
    StandalonePodSpec,
};
use crate::model::kube_rules;
use crate::model::scheduler_profile::Profile;
use crate::model::spec::{
    AutoscalingGroup, ClusterAutoscalerSpec, HpaSpec, KubeObject, KubePlatform, NodeComponent, NodeGroup, NodeSource,
    NodeTemplate,
};
use crate::model::traffic::{LoadProfile, ServiceLoad, TrafficMode};

/// The longest run: a year of simulated time. Durations are the one range
/// the budget does not set, since every period in the file is weighed
/// against the run's length.
pub const MAX_DURATION: SimDuration = SimDuration::from_secs(365 * 86_400);
/// The most instances or pods a world counts: its ids are 32-bit, with room to spare.
pub const MAX_INSTANCES: u64 = 1 << 31;

/// A server's local disk when the file gives none: a round 1 TiB (no sourced figure).
const DEFAULT_DISK: Bytes = Bytes(1024 * GIB);

/// Reads the files named in the scenario (load traces, manifests), relative to the scenario.
pub type ReadSideFile<'a> = &'a dyn super::source::SideFiles;

/// Timeline entries made from manifests carry this in their path, with the
/// manifest's number, so that their problems can be told in its words.
const MANIFEST: &str = "manifest#";

struct Checker<'a> {
    /// The first problems found, at most as many as a message lists.
    problems: Vec<Problem>,
    /// Every problem found, kept or not.
    found: usize,
    read_side_file: ReadSideFile<'a>,
    /// Every manifest object read, by the number its timeline entries carry.
    manifests: Vec<manifests::Manifest>,
    /// Manifest fields not simulated, each once.
    ignored: BTreeSet<(String, manifests::yaml::Mark, String, String, String)>,
    /// Manifest text that may still be read.
    manifest_budget: manifests::Budget,
    /// The extended resources named so far, in the order first named.
    extended: Vec<String>,
}

impl Checker<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.found += 1;
        if self.problems.len() < super::error::MAX_PROBLEMS_SHOWN {
            self.problems.push(Problem { path: path.into(), message: message.into() });
        }
    }

    fn name(&mut self, path: &str, name: &str, what: &str) {
        if name.trim().is_empty() {
            self.problem(path, format!("the {what} needs a name"));
        } else if name.len() > 200 {
            self.problem(path, format!("the {what} name is longer than 200 characters"));
        } else if name.chars().any(|c| c.is_control()) {
            self.problem(path, format!("the {what} name has a control character"));
        }
    }

    /// A number of seconds, at most a year (the longest run); beyond it, none.
    fn seconds(&mut self, path: &str, s: u64) -> u64 {
        let most = MAX_DURATION.as_micros() / crate::engine::time::MICROS_PER_SECOND;
        if s > most {
            self.problem(path, format!("{s} seconds is more than a year ({most}), the longest run"));
            return most;
        }
        s
    }

    /// One of the API server's rules on a name or key.
    /// The index of the extended resource `name`, checked as the API server
    /// checks a resource name (`IsExtendedResourceName`: a qualified name
    /// with a domain outside kubernetes.io); a new one takes the next index.
    fn extended_index(&mut self, path: &str, name: &str) -> Option<usize> {
        if let Some(i) = self.extended.iter().position(|e| e == name) {
            return Some(i);
        }
        let domain = name.split_once('/').map(|(d, _)| d);
        let message = match domain {
            None => Some(
                "an extended resource is named with a domain: vendor.example/device (such as nvidia.com/gpu)"
                    .to_string(),
            ),
            Some(d) if d == "kubernetes.io" || d.ends_with(".kubernetes.io") || name.starts_with("requests.") => {
                Some("must be a standard resource name or fully qualified outside the kubernetes.io domain".to_string())
            }
            Some(_) => kube_rules::invalid(name, &kube_rules::qualified_name(name)),
        };
        if let Some(m) = message {
            self.problem(format!("{path}[{name}]"), m);
            return None;
        }
        if self.extended.len() >= crate::model::kube::MAX_EXTENDED_RESOURCES {
            self.problem(
                format!("{path}[{name}]"),
                format!(
                    "a scenario uses at most {} extended resources ({} already)",
                    crate::model::kube::MAX_EXTENDED_RESOURCES,
                    self.extended.join(", ")
                ),
            );
            return None;
        }
        self.extended.push(name.to_string());
        Some(self.extended.len() - 1)
    }

    /// A map of extended resources as amounts by index.
    fn extended_amounts(&mut self, path: &str, map: &BTreeMap<String, u64>) -> crate::model::kube::ExtendedAmounts {
        let mut amounts = [0; crate::model::kube::MAX_EXTENDED_RESOURCES];
        for (name, &n) in map {
            if let Some(i) = self.extended_index(path, name) {
                amounts[i] = n;
            }
        }
        amounts
    }

    fn api_rule(&mut self, path: &str, value: &str, rule: fn(&str) -> Vec<String>) {
        if let Some(message) = kube_rules::invalid(value, &rule(value)) {
            self.problem(path, message);
        }
    }

    /// The API server's rules on a map of labels.
    fn labels(&mut self, path: &str, map: &BTreeMap<String, String>) {
        for (suffix, message) in kube_rules::labels(map) {
            self.problem(format!("{path}{suffix}"), message);
        }
    }

    fn positive(&mut self, path: &str, value: u64, what: &str) {
        if value == 0 {
            self.problem(path, format!("{what} must be above zero"));
        }
    }

    fn distribution(&mut self, path: &str, d: &Distribution) {
        for message in d.problems() {
            self.problem(path, message);
        }
    }

    /// The distribution given, or the default, checked.
    fn distribution_or(&mut self, path: &str, d: &Option<Distribution>, default: fn() -> Distribution) -> Distribution {
        let d = d.clone().unwrap_or_else(default);
        self.distribution(path, &d);
        d
    }
}

/// A name the expectation language can refer to: letters, digits and `_`, not starting with a digit.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn index_names<'a>(
    c: &mut Checker,
    list: impl Iterator<Item = &'a str>,
    path: &str,
    what: &str,
) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for (i, name) in list.enumerate() {
        if map.insert(name.to_string(), i).is_some() {
            c.problem(format!("{path}[{i}].name"), format!("another {what} is already named {}", quoted(name)));
        }
    }
    map
}

/// Container images by name, compared as the kubelet and ImageLocality
/// compare them: a name with no tag after its last `/` means `:latest`
/// (`normalizedImageName`), so `gcr.io/web` and `gcr.io/web:latest` are one image.
struct ImageIndex(BTreeMap<String, usize>);

impl ImageIndex {
    fn new(c: &mut Checker, images: &[super::file::ImageFile]) -> Self {
        let mut map: BTreeMap<String, usize> = BTreeMap::new();
        for (i, image) in images.iter().enumerate() {
            let key = normalized_image_name(&image.name).into_owned();
            if let Some(j) = map.insert(key.clone(), i) {
                let why = if images[j].name == image.name {
                    format!("another image is already named {}", quoted(&image.name))
                } else {
                    format!(
                        "{} names the same image as images[{j}] ({}): a name with no tag means {}",
                        quoted(&image.name),
                        quoted(&images[j].name),
                        quoted(&key)
                    )
                };
                c.problem(format!("images[{i}].name"), why);
            }
        }
        ImageIndex(map)
    }

    fn get(&self, name: &str) -> Option<&usize> {
        self.0.get(normalized_image_name(name).as_ref())
    }

    fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

fn suggest(names: &BTreeMap<String, usize>) -> String {
    let list: Vec<&str> = names.keys().map(|s| s.as_str()).take(12).collect();
    if list.is_empty() { "none are defined".to_string() } else { format!("known: {}", list.join(", ")) }
}

pub(super) fn validate(
    raw: ScenarioFile,
    file: &str,
    read_side_file: ReadSideFile,
    options: super::LoadOptions,
) -> Result<Scenario, ScenarioError> {
    let mut c = Checker {
        problems: Vec::new(),
        found: 0,
        read_side_file,
        manifests: Vec::new(),
        ignored: BTreeSet::new(),
        manifest_budget: manifests::Budget::default(),
        extended: Vec::new(),
    };

    // The budget first: what the file may ask for follows from it.
    let mut budget = Budget::DEFAULT;
    if let Some(b) = &raw.budget {
        // A budget that is not one is reported once, and the default stands
        // in for it, so that nothing is weighed against the bad figure.
        if let Some(message) = b.problem() {
            c.problem("budget", message);
        } else {
            budget = b.over(budget);
        }
    }
    if let Some(b) = options.budget {
        budget = b.over(budget);
    }

    c.name("name", &raw.name, "scenario");
    if raw.duration.0 == 0 {
        c.problem("duration", "the duration must be above zero");
    } else if raw.duration > MAX_DURATION {
        c.problem("duration", format!("{} is longer than the limit of one year", raw.duration));
    }

    // Registry.
    let registry = match &raw.registry {
        Some(r) => {
            if let Some(b) = r.bandwidth {
                c.positive("registry.bandwidth", b.0, "the registry's bandwidth");
            }
            if let Some(n) = r.max_concurrent_pulls {
                c.positive("registry.max_concurrent_pulls", u64::from(n), "max_concurrent_pulls");
            }
            RegistrySpec { bandwidth: r.bandwidth, max_concurrent_pulls: r.max_concurrent_pulls }
        }
        None => RegistrySpec::default(),
    };

    // Images and their layers.
    let image_index = ImageIndex::new(&mut c, &raw.images);
    let mut blobs: Vec<BlobSpec> = Vec::new();
    let mut own_layers: Vec<Vec<BlobId>> = Vec::new();
    for (i, image) in raw.images.iter().enumerate() {
        let path = format!("images[{i}]");
        c.name(&format!("{path}.name"), &image.name, "image");
        if image.layers.is_empty() && image.base.is_none() {
            c.problem(format!("{path}.layers"), "an image without a base needs at least one layer");
        }
        let mut ids = Vec::new();
        for (k, size) in image.layers.iter().enumerate().take(MAX_IMAGE_LAYERS + 1) {
            c.positive(&format!("{path}.layers[{k}]"), size.0, "a layer's size");
            ids.push(BlobId(blobs.len() as u32));
            blobs.push(BlobSpec { name: format!("{}#{}", image.name, k + 1), bytes: *size, kind: BlobKind::Layer });
        }
        own_layers.push(ids);
    }
    let images = resolve_bases(&mut c, &raw.images, &image_index, &own_layers, &blobs);

    let vm_image_index = index_names(&mut c, raw.vm_images.iter().map(|i| i.name.as_str()), "vm_images", "VM image");
    let mut vm_images = Vec::new();
    for (i, v) in raw.vm_images.iter().enumerate() {
        let path = format!("vm_images[{i}]");
        c.name(&format!("{path}.name"), &v.name, "VM image");
        if image_index.contains_key(&v.name) {
            c.problem(format!("{path}.name"), format!("a container image is already named {}", quoted(&v.name)));
        }
        c.positive(&format!("{path}.size"), v.size.0, "a VM image's size");
        c.positive(&format!("{path}.virtual_size"), v.virtual_size.0, "a VM image's virtual size");
        let blob = BlobId(blobs.len() as u32);
        blobs.push(BlobSpec { name: v.name.clone(), bytes: v.size, kind: BlobKind::VmDisk });
        vm_images.push(VmImageSpec { name: v.name.clone(), blob, virtual_size: v.virtual_size });
    }

    let catalog =
        Catalog { image_index: &image_index, images: &images, vm_image_index: &vm_image_index, vm_images: &vm_images };

    // Hosts: every group checked, and what its hosts would take weighed
    // against the budget before any host is made.
    if raw.hosts.is_empty() {
        c.problem("hosts", "a scenario needs at least one host group");
    }
    let _ = index_names(&mut c, raw.hosts.iter().map(|g| g.name.as_str()), "hosts", "host group");
    let mut groups = Vec::new();
    for (g, group) in raw.hosts.iter().enumerate() {
        let path = format!("hosts[{g}]");
        c.name(&format!("{path}.name"), &group.name, "host group");
        c.positive(&format!("{path}.count"), u64::from(group.count), "count");
        c.positive(&format!("{path}.cpu"), group.cpu.0, "cpu");
        c.positive(&format!("{path}.memory"), group.memory.0, "memory");
        let disk = group.disk.unwrap_or(DEFAULT_DISK);
        c.positive(&format!("{path}.disk"), disk.0, "disk");
        let nic = group.nic.unwrap_or(DEFAULT_NIC);
        c.positive(&format!("{path}.nic"), nic.0, "the NIC bandwidth");
        let power = match &group.power {
            Some(p) => power(&mut c, &format!("{path}.power"), p),
            None => PowerSpec::HP_ML110_G4,
        };
        let price_per_hour = price(&mut c, &format!("{path}.price_per_hour"), group.price_per_hour);
        c.labels(&format!("{path}.labels"), &group.labels);
        for (k, t) in group.taints.iter().enumerate() {
            for (field, message) in kube_rules::taint(t) {
                c.problem(format!("{path}.taints[{k}]{field}"), message);
            }
        }
        let image_cache = group.image_cache.unwrap_or(disk);
        if let Some(cache) = group.image_cache {
            c.positive(&format!("{path}.image_cache"), cache.0, "image_cache");
        }
        let cached = names_to_blobs(&mut c, &format!("{path}.cached_images"), &group.cached_images, &catalog);
        let cached_bytes =
            cached.iter().fold(0u64, |sum, b| sum.saturating_add(blobs.get(b.index()).map_or(0, |x| x.bytes.0)));
        if cached_bytes > image_cache.0 {
            c.problem(
                format!("{path}.cached_images"),
                format!("the cached images take {} but the image cache holds {}", Bytes(cached_bytes), image_cache),
            );
        }
        let shape = budget::HostGroupShape {
            count: u64::from(group.count),
            cached: cached.len() as u64,
            label_text: group.labels.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum::<u64>()
                + group.taints.iter().map(|t| (t.key.len() + t.value.len()) as u64).sum::<u64>(),
            labels: (group.labels.len() + group.taints.len()) as u64,
        };
        groups.push((group, shape, disk, nic, power, price_per_hour, image_cache, cached));
    }
    let shapes: Vec<budget::HostGroupShape> = groups.iter().map(|g| g.1).collect();
    let hosts_cost = budget::hosts_before_worlds(&shapes, raw.worlds.len());
    let room_for_hosts = match hosts_cost.refusal(&budget) {
        Some(message) => {
            c.problem("hosts", message);
            false
        }
        None => true,
    };
    // Made at their final size: a vector that doubles as it grows would hold
    // both its old and new buffers at its largest, half as much again.
    let mut hosts: Vec<HostSpec> = Vec::new();
    if room_for_hosts {
        hosts.reserve_exact(groups.iter().map(|g| g.0.count as usize).sum());
    }
    let mut host_index: BTreeMap<String, HostId> = BTreeMap::new();
    for (g, (group, _, disk, nic, power, price_per_hour, image_cache, cached)) in groups.into_iter().enumerate() {
        if !room_for_hosts {
            break;
        }
        let cached: Arc<[BlobId]> = cached.into_iter().collect();
        let extended = c.extended_amounts(&format!("hosts[{g}].extended_resources"), &group.extended_resources);
        if let Some(max_pods) = group.max_pods {
            c.positive(&format!("hosts[{g}].max_pods"), u64::from(max_pods), "max_pods");
        }
        for n in 1..=group.count {
            let name = format!("{}-{}", group.name, n);
            if host_index.insert(name.clone(), HostId(hosts.len() as u32)).is_some() {
                c.problem(format!("hosts[{g}].name"), format!("the host name {} is used twice", quoted(&name)));
            }
            hosts.push(HostSpec {
                name,
                group: group.name.clone(),
                cpu: group.cpu,
                memory: group.memory,
                disk,
                nic,
                power: power.clone(),
                image_cache,
                cached: Arc::clone(&cached),
                zone: group.zone.clone(),
                labels: group.labels.clone(),
                taints: group.taints.clone(),
                price_per_hour,
                extended,
                max_pods: group.max_pods,
            });
        }
    }

    // Apps.
    // Something must run: an app to launch, or a Kubernetes world that applies objects.
    let applies = raw.worlds.iter().any(|w| {
        !w.timeline.is_empty() || matches!(&w.platform, PlatformFile::Kubernetes(k) if !k.manifests.is_empty())
    });
    if raw.apps.is_empty() && !applies {
        c.problem("apps", "a scenario needs at least one app, or a Kubernetes world that applies objects");
    }
    let app_index = index_names(&mut c, raw.apps.iter().map(|a| a.name.as_str()), "apps", "app");
    let mut apps = Vec::new();
    for (i, app) in raw.apps.iter().enumerate() {
        let path = format!("apps[{i}]");
        c.name(&format!("{path}.name"), &app.name, "app");
        let image = match image_index.get(&app.image) {
            Some(&k) => ImageId(k as u32),
            None => {
                c.problem(
                    format!("{path}.image"),
                    format!("no image is named {}; {}", quoted(&app.image), suggest(&image_index.0)),
                );
                ImageId(u32::MAX)
            }
        };
        let vm_image = match &app.vm_image {
            Some(name) => match vm_image_index.get(name) {
                Some(&k) => Some(VmImageId(k as u32)),
                None => {
                    c.problem(
                        format!("{path}.vm_image"),
                        format!("no VM image is named {}; {}", quoted(name), suggest(&vm_image_index)),
                    );
                    None
                }
            },
            None => None,
        };
        c.positive(&format!("{path}.cpu"), app.cpu.0, "cpu");
        c.positive(&format!("{path}.memory"), app.memory.0, "memory");
        apps.push(AppSpec {
            name: app.name.clone(),
            image,
            vm_image,
            cpu: app.cpu,
            memory: app.memory,
            disk: app.disk.unwrap_or(Bytes(0)),
        });
    }

    // Timeline.
    let mut launched: u64 = 0;
    let names = Names { apps: &app_index, hosts: &host_index };
    let shared_entries = expand(&mut c, "timeline", &raw.timeline, raw.duration, None);
    let shared_manifests: Vec<usize> = (0..c.manifests.len()).collect();
    let timeline = check_timeline(&mut c, &shared_entries, raw.duration, &names, &catalog, &mut launched);

    // Lesson.
    let mut lesson = Vec::new();
    for (i, step) in raw.lesson.iter().enumerate() {
        if step.at > raw.duration {
            c.problem(
                format!("lesson[{i}].at"),
                format!("{} is after the end of the scenario ({})", step.at, raw.duration),
            );
        }
        if step.caption.trim().is_empty() {
            c.problem(format!("lesson[{i}].caption"), "the caption is empty");
        }
        let question = match (&step.question, &step.answer) {
            (None, None) => None,
            (Some(text), Some(answer)) => {
                for (field, value) in [("question", text), ("answer", answer)] {
                    if value.trim().is_empty() {
                        c.problem(format!("lesson[{i}].{field}"), format!("the {field} is empty"));
                    }
                }
                Some(Question { text: text.clone(), answer: answer.clone() })
            }
            (Some(_), None) => {
                c.problem(format!("lesson[{i}].answer"), "a question needs its answer, shown once the clock goes on");
                None
            }
            (None, Some(_)) => {
                c.problem(format!("lesson[{i}].question"), "an answer needs its question");
                None
            }
        };
        if question.is_some() {
            // The run starts past 0 s, and a step at the same time as another hides one of them.
            if step.at == SimDuration::ZERO {
                c.problem(
                    format!("lesson[{i}].at"),
                    "a question at 0s is never asked: the run starts past it; ask it a moment later",
                );
            } else if raw.lesson.iter().enumerate().any(|(j, other)| j != i && other.at == step.at) {
                c.problem(
                    format!("lesson[{i}].at"),
                    format!("another step is at {} too, and only one shows; a question needs its own time", step.at),
                );
            }
        }
        let focus =
            step.focus.as_ref().and_then(|f| lesson_focus(&mut c, &format!("lesson[{i}].focus"), f, &raw, &hosts));
        lesson.push(LessonStep {
            at: step.at,
            caption: step.caption.clone(),
            pause: step.pause || question.is_some(),
            question,
            focus,
        });
    }
    lesson.sort_by_key(|s| s.at);

    let traffic_mode = match &raw.traffic {
        None | Some(TrafficFile::PerRequest) => TrafficMode::PerRequest,
        Some(TrafficFile::Fluid { tick }) => {
            let tick = tick.unwrap_or(SimDuration::from_secs(1));
            if tick < SimDuration::from_millis(100) || tick > SimDuration::from_secs(3600) {
                c.problem("traffic.tick", "between 100ms and 1h");
            }
            TrafficMode::Fluid { tick: tick.clamp(SimDuration::from_millis(100), SimDuration::from_secs(3600)) }
        }
    };
    let shared_services = services(&mut c, "services", &raw.services, &app_index, raw.duration);
    let mut setup = Setup {
        seed: raw.seed,
        duration: raw.duration,
        registry,
        hosts,
        blobs,
        images: images.clone(),
        vm_images: vm_images.clone(),
        apps,
        timeline,
        services: shared_services,
        traffic_mode,
        extended_resources: Vec::new(),
    };

    // Worlds.
    if raw.worlds.is_empty() {
        c.problem("worlds", "a scenario needs at least one world");
    }
    let _ = index_names(&mut c, raw.worlds.iter().map(|w| w.name.as_str()), "worlds", "world");
    let mut worlds = Vec::new();
    for (i, w) in raw.worlds.iter().enumerate() {
        let path = format!("worlds[{i}]");
        if !is_identifier(&w.name) {
            c.problem(
                format!("{path}.name"),
                format!(
                    "{} cannot be named in expectations; use letters, digits and _, starting with a letter",
                    quoted(&w.name)
                ),
            );
        }
        let ratio = w.cpu_allocation_ratio.unwrap_or(1.0);
        if !(ratio.is_finite() && ratio > 0.0 && ratio <= 100.0) {
            c.problem(format!("{path}.cpu_allocation_ratio"), "cpu_allocation_ratio must be above 0 and at most 100");
        }
        // The world's own manifests, applied at 0 s before its timeline; its
        // Nodes are templates for the nodes they name.
        let mut world_manifests: Vec<usize> = shared_manifests.clone();
        let mut manifest_entries: Vec<(String, At)> = Vec::new();
        let mut node_templates = Vec::new();
        if let PlatformFile::Kubernetes(k) = &w.platform {
            for (m, name) in k.manifests.iter().enumerate() {
                for id in read_manifests(&mut c, &format!("{path}.platform.manifests[{m}]"), name) {
                    world_manifests.push(id);
                    match &c.manifests[id].object {
                        manifests::Object::Node(n) => {
                            let n = (**n).clone();
                            node_templates.extend(node_template(&mut c, id, &n, &setup.hosts));
                        }
                        object => {
                            if let Some(action) = apply_of(object) {
                                manifest_entries.push((format!("{MANIFEST}{id}"), At(SimDuration::ZERO, action)));
                            }
                        }
                    }
                }
            }
        }
        let platform = platform(&mut c, &format!("{path}.platform"), &w.platform, &setup.hosts, node_templates);
        let kube_world = matches!(platform, Platform::Kubernetes(_));
        let expanded =
            expand(&mut c, &format!("{path}.timeline"), &w.timeline, raw.duration, Some((kube_world, &w.name)));
        world_manifests.extend(expanded.iter().filter_map(|(p, _)| manifest_id(p)));
        manifest_entries.extend(expanded);
        let own_entries = manifest_entries;
        if kube_world {
            check_namespaces(&mut c, &world_manifests);
        }
        let preloaded = names_to_blobs(&mut c, &format!("{path}.preloaded_images"), &w.preloaded_images, &catalog);
        let preloaded_bytes = preloaded
            .iter()
            .fold(0u64, |sum, b| sum.saturating_add(setup.blobs.get(b.index()).map_or(0, |x| x.bytes.0)));
        if let Some(h) = setup.hosts.iter().find(|h| preloaded_bytes > h.image_cache.0) {
            c.problem(
                format!("{path}.preloaded_images"),
                format!(
                    "the preloaded images take {} but host {} caches only {}",
                    Bytes(preloaded_bytes),
                    h.name,
                    h.image_cache
                ),
            );
        }
        let mut world_launched = launched;
        let own = check_timeline(&mut c, &own_entries, raw.duration, &names, &catalog, &mut world_launched);
        if !matches!(platform, Platform::Kubernetes(_)) {
            for (k, a) in own.iter().enumerate() {
                if a.action.needs_kubernetes() {
                    c.problem(
                        format!("{path}.timeline[{k}]"),
                        format!("a Kubernetes action, but world {} is not a Kubernetes world", quoted(&w.name)),
                    );
                }
            }
            if let Some(k) = setup.timeline.iter().position(|a| a.action.needs_kubernetes()) {
                c.problem(
                    format!("timeline[{k}]"),
                    format!(
                        "a Kubernetes action in the shared timeline, but world {} is not a Kubernetes world; \
                         put it in the Kubernetes worlds' own timelines",
                        quoted(&w.name)
                    ),
                );
            }
        }
        if world_launched > MAX_INSTANCES {
            c.problem(
                format!("{path}.timeline"),
                format!(
                    "{world_launched} instances launched in all; a world counts at most {MAX_INSTANCES} (its ids' range)"
                ),
            );
        }
        let mut merged: Vec<TimedAction> = setup.timeline.iter().cloned().chain(own).collect();
        merged.sort_by_key(|t| t.at);
        let instance_price_per_hour =
            price(&mut c, &format!("{path}.instance_price_per_hour"), w.instance_price_per_hour);
        let autoscaling = w.autoscaling.as_ref().and_then(|a| {
            let apath = format!("{path}.autoscaling");
            if matches!(platform, Platform::Kubernetes(_)) {
                c.problem(
                    &apath,
                    "an autoscaling group is for worlds without Kubernetes; use a HorizontalPodAutoscaler there",
                );
            }
            if a.min > a.max || a.max == 0 || a.max > MAX_REPLICAS {
                c.problem(
                    &apath,
                    format!("min ({}) must be at most max ({}), and max between 1 and {MAX_REPLICAS}", a.min, a.max),
                );
            }
            if a.period.is_some_and(|p| p < SimDuration::from_secs(1)) {
                c.problem(format!("{apath}.period"), "at least 1s");
            }
            if !(a.target_cpu_percent > 0.0 && a.target_cpu_percent <= 100.0) {
                c.problem(format!("{apath}.target_cpu_percent"), "between 0 and 100");
            }
            let app = match app_index.get(&a.app) {
                Some(&k) => AppId(k as u32),
                None => {
                    c.problem(
                        format!("{apath}.app"),
                        format!("no app is named {}; {}", quoted(&a.app), suggest(&app_index)),
                    );
                    return None;
                }
            };
            Some(AutoscalingGroup {
                app,
                min: a.min,
                max: a.max,
                target_cpu_percent: a.target_cpu_percent,
                // Cloud target tracking evaluates one-minute metrics.
                period: a.period.unwrap_or(SimDuration::from_secs(60)).max(SimDuration::from_secs(1)),
                warmup: a.warmup.unwrap_or(SimDuration::from_secs(300)),
                cooldown: a.cooldown.unwrap_or(SimDuration::from_secs(300)),
            })
        });
        let unused_hosts: Vec<HostId> = match &w.host_groups {
            None => Vec::new(),
            Some(groups) => {
                for (k, g) in groups.iter().enumerate() {
                    if !setup.hosts.iter().any(|h| &h.group == g) {
                        c.problem(format!("{path}.host_groups[{k}]"), format!("no host group is named {}", quoted(g)));
                    }
                }
                (0..setup.hosts.len())
                    .filter(|&h| !groups.contains(&setup.hosts[h].group))
                    .map(|h| HostId(h as u32))
                    .collect()
            }
        };
        if let Platform::Kubernetes(k) = &platform
            && let Some(ca) = &k.cluster_autoscaler
        {
            for (i, g) in ca.node_groups.iter().enumerate() {
                // A node group's hosts are one host group's: its first tells.
                if g.hosts.first().is_some_and(|h| unused_hosts.binary_search(h).is_ok()) {
                    c.problem(
                        format!("{path}.platform.cluster_autoscaler.node_groups[{i}].hosts"),
                        format!("the world leaves the host group {} out (host_groups)", quoted(&g.name)),
                    );
                }
            }
        }
        let mut world_services = setup.services.clone();
        let own_services = services(&mut c, &format!("{path}.services"), &w.services, &app_index, raw.duration);
        for s in own_services {
            if world_services.iter().any(|x| x.name == s.name) {
                let k = w.services.iter().position(|f| f.name == s.name).unwrap_or(0);
                c.problem(
                    format!("{path}.services[{k}].name"),
                    format!("the scenario already has a service named {}", quoted(&s.name)),
                );
            }
            world_services.push(s);
        }
        for (k, s) in world_services.iter().enumerate() {
            if let Some(other) = world_services[..k].iter().find(|o| o.app == s.app) {
                c.problem(
                    format!("{path}.services"),
                    format!(
                        "services {} and {} both serve app {}; each app serves one service",
                        quoted(&other.name),
                        quoted(&s.name),
                        quoted(&setup.apps[s.app.index()].name)
                    ),
                );
            }
        }
        if matches!(platform, Platform::Kubernetes(_)) {
            check_references(&mut c, &path, &shared_entries, &own_entries, &world_services, &setup.apps);
        }
        let spec = WorldSpec {
            services: world_services,
            unused_hosts,
            name: w.name.clone(),
            platform,
            placement: w.placement.unwrap_or_default(),
            cpu_allocation_ratio: ratio,
            replace_failed_after: w.replace_failed_after,
            preloaded: preloaded.into_iter().collect(),
            timeline: merged,
            instance_price_per_hour,
            autoscaling,
        };
        if ratio.is_finite() && ratio > 0.0 && ratio <= 100.0 {
            check_apps_fit(&mut c, &path, &spec, &setup);
        }
        worlds.push(Arc::new(spec));
    }

    // Expectations.
    let world_names: Vec<&str> = raw.worlds.iter().map(|w| w.name.as_str()).collect();
    let mut expectations = Vec::new();
    for (i, text) in raw.expect.iter().enumerate() {
        match expect::parse(text, &world_names) {
            Ok(e) => expectations.push(e),
            Err(e) => {
                c.problem(format!("expect[{i}]"), format!("column {}: {} (in {})", e.column, e.message, quoted(text)))
            }
        }
    }

    // What the run will take, now that every part is known.
    let estimate = if c.found == 0 { budget::estimate(&setup, &worlds) } else { Estimate::default() };
    if let Some(message) = estimate.refusal(&budget) {
        c.problem("budget", message);
    }
    if c.found > 0 {
        let more = c.found - c.problems.len();
        let problems = c.problems.into_iter().map(|p| in_manifest_words(&c.manifests, p)).collect();
        return Err(ScenarioError::Invalid { file: file.to_string(), problems, more });
    }
    let ignored = c
        .ignored
        .into_iter()
        .map(|(file, at, object, path, reason)| manifests::Ignored { file, at, object, path, reason })
        .collect();
    setup.extended_resources = c.extended;
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        file: file.to_string(),
        setup: Arc::new(setup),
        worlds,
        lesson,
        expectations,
        budget,
        estimate,
        ignored,
    })
}

/// Timeline entries with their paths, each `ApplyManifests` replaced by an
/// `Apply` of every object its files hold. `world` is the world's kind and
/// name (none for the shared timeline).
fn expand(
    c: &mut Checker,
    base: &str,
    entries: &[At],
    duration: SimDuration,
    world: Option<(bool, &str)>,
) -> Vec<(String, At)> {
    let mut out = Vec::new();
    for (i, at) in entries.iter().enumerate() {
        let path = format!("{base}[{i}]");
        let ActionFile::ApplyManifests(name) = &at.1 else {
            out.push((path, at.clone()));
            continue;
        };
        if at.0 > duration {
            c.problem(&path, format!("at {} is after the end of the scenario ({duration})", at.0));
            continue;
        }
        if let Some((false, world)) = world {
            c.problem(&path, format!("a Kubernetes action, but world {} is not a Kubernetes world", quoted(world)));
            continue;
        }
        for id in read_manifests(c, &path, name) {
            match &c.manifests[id].object {
                manifests::Object::Node(_) => c.problem(
                    format!("{MANIFEST}{id}"),
                    "a Node manifest is a template for nodes when the world starts: name it in the world's manifests",
                ),
                object => {
                    if let Some(action) = apply_of(object) {
                        out.push((format!("{MANIFEST}{id}"), At(at.0, action)));
                    }
                }
            }
        }
    }
    out
}

/// The number of the manifest a timeline entry's path names.
fn manifest_id(path: &str) -> Option<usize> {
    let rest = path.strip_prefix(MANIFEST)?;
    let end = rest.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Reads the manifests a file or folder holds; returns their numbers.
fn read_manifests(c: &mut Checker, at: &str, name: &str) -> Vec<usize> {
    let mut budget = c.manifest_budget;
    let read = manifests::read(c.read_side_file, at, name, &mut budget);
    c.manifest_budget = budget;
    for p in read.problems {
        c.problem(p.path, p.message);
    }
    for i in read.ignored {
        c.ignored.insert((i.file, i.at, i.object, i.path, i.reason));
    }
    let first = c.manifests.len();
    c.manifests.extend(read.manifests);
    (first..c.manifests.len()).collect()
}

/// What applying a manifest object does, when it does something.
fn apply_of(object: &manifests::Object) -> Option<ActionFile> {
    let object = match object {
        manifests::Object::Deployment(d) => KubeObjectFile::Deployment(d.clone()),
        manifests::Object::ReplicaSet(r) => KubeObjectFile::ReplicaSet(r.clone()),
        manifests::Object::Pod(p) => KubeObjectFile::Pod(p.clone()),
        manifests::Object::Service(s) => KubeObjectFile::Service(s.clone()),
        manifests::Object::HorizontalPodAutoscaler { hpa, .. } => KubeObjectFile::HorizontalPodAutoscaler(hpa.clone()),
        manifests::Object::PodDisruptionBudget(b) => KubeObjectFile::PodDisruptionBudget(b.clone()),
        manifests::Object::Node(_) | manifests::Object::Namespace | manifests::Object::NotSimulated => return None,
    };
    Some(ActionFile::Apply(Box::new(object)))
}

/// A Node manifest as a template for the nodes it names: the host of
/// exactly that name, or every host of the host group of that name. Host
/// names are their group's name and a number (`a-1`), so one name can be
/// both a host's and another group's (groups `a` and `a-1`); such a name is
/// refused, as it does not say which it means.
fn node_template(c: &mut Checker, id: usize, n: &manifests::NodeFile, hosts: &[HostSpec]) -> Option<NodeTemplate> {
    let at = format!("{MANIFEST}{id}");
    let host = hosts.iter().position(|h| h.name == n.name);
    let group: Vec<HostId> =
        hosts.iter().enumerate().filter(|(_, h)| h.group == n.name).map(|(k, _)| HostId(k as u32)).collect();
    if let Some(h) = host
        && !group.is_empty()
    {
        c.problem(
            format!("{at}.name"),
            format!(
                "{} is the name of a host of host group {} and of host group {}; a Node manifest names one host or one host group: rename host group {}",
                quoted(&n.name),
                quoted(&hosts[h].group),
                quoted(&n.name),
                quoted(&n.name),
            ),
        );
        return None;
    }
    let named: Vec<HostId> = match host {
        Some(h) => vec![HostId(h as u32)],
        None => group,
    };
    c.labels(&format!("{at}.labels"), &n.labels);
    for (k, t) in n.taints.iter().flatten().enumerate() {
        for (field, message) in kube_rules::taint(t) {
            c.problem(format!("{at}.taints[{k}]{field}"), message);
        }
    }
    if named.is_empty() {
        let mut groups: Vec<&str> = hosts.iter().map(|h| h.group.as_str()).collect();
        groups.dedup();
        c.problem(
            format!("{at}.name"),
            format!(
                "no host or host group is named {}; a Node manifest is a template for the nodes it names (host groups: {})",
                quoted(&n.name),
                groups.iter().take(12).copied().collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    }
    Some(NodeTemplate {
        hosts: named,
        labels: n.labels.clone(),
        taints: n.taints.clone(),
        unschedulable: n.unschedulable,
    })
}

/// Objects of a namespace that no manifest makes, other than the ones every
/// cluster has (`default`, `kube-system`, `kube-public`, `kube-node-lease`),
/// are refused, as the API server refuses them (`namespaces "shop" not
/// found`); and since a world
/// keeps one set of names, two objects of one kind and name in different
/// namespaces are refused too.
fn check_namespaces(c: &mut Checker, ids: &[usize]) {
    let made: BTreeSet<&str> = ids
        .iter()
        .map(|&id| &c.manifests[id])
        .filter(|m| matches!(m.object, manifests::Object::Namespace))
        .map(|m| m.origin.name.as_str())
        .chain(["kube-system", "kube-public", "kube-node-lease"])
        .collect();
    let mut seen: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    let mut found: Vec<(String, String)> = Vec::new();
    for &id in ids {
        let m = &c.manifests[id];
        if matches!(m.object, manifests::Object::Namespace | manifests::Object::Node(_)) {
            continue;
        }
        let namespace = m.origin.namespace.as_deref().unwrap_or("default");
        if namespace != "default" && !made.contains(namespace) {
            found.push((
                format!("{MANIFEST}{id}"),
                format!("namespaces {} not found: no manifest here makes it (kind: Namespace)", quoted(namespace)),
            ));
        }
        match seen.get(&(m.origin.kind.as_str(), m.origin.name.as_str())) {
            Some(other) if *other != namespace => found.push((
                format!("{MANIFEST}{id}"),
                format!(
                    "a {} named {} is in namespace {} too; a world keeps one set of names, so names must differ across namespaces",
                    m.origin.kind,
                    quoted(&m.origin.name),
                    quoted(other)
                ),
            )),
            Some(_) => {}
            None => {
                seen.insert((m.origin.kind.as_str(), m.origin.name.as_str()), namespace);
            }
        }
    }
    for (path, message) in found {
        if !c.problems.iter().any(|p| p.path == path && p.message == message) {
            c.problem(path, message);
        }
    }
}

/// A problem with a manifest object, told in the manifest's words: its
/// file, line and column, and the field's path as the manifest writes it.
fn in_manifest_words(manifests: &[manifests::Manifest], p: Problem) -> Problem {
    let Some(id) = manifest_id(&p.path) else { return p };
    let Some(m) = manifests.get(id) else { return p };
    let digits =
        p.path[MANIFEST.len()..].find(|ch: char| !ch.is_ascii_digit()).map_or(p.path.len(), |k| k + MANIFEST.len());
    let suffix = &p.path[digits..];
    m.origin.problem(&manifests::manifest_path(&m.object, suffix), p.message)
}

/// Docker stacks at most this many layers in an image, its bases' included:
/// overlay2 mounts at most 128 lower directories (moby, overlay2 driver).
pub const MAX_IMAGE_LAYERS: usize = 128;

/// Every image's layers, its bases' first, each image resolved once (so a
/// long chain of bases costs its length, not its square); unknown bases,
/// cycles, images of more than [`MAX_IMAGE_LAYERS`] layers or more than
/// [`MAX_BYTES`] are refused.
fn resolve_bases(
    c: &mut Checker,
    files: &[super::file::ImageFile],
    index: &ImageIndex,
    own: &[Vec<BlobId>],
    blobs: &[BlobSpec],
) -> Vec<ImageSpec> {
    #[derive(Clone, PartialEq)]
    enum State {
        Unvisited,
        OnPath,
        Done(Option<Vec<BlobId>>),
    }
    let mut state = vec![State::Unvisited; files.len()];
    let base_of = |i: usize| files.get(i).and_then(|f| f.base.as_deref()).and_then(|b| index.get(b).copied());
    for root in 0..files.len() {
        // Walk down the bases to one already resolved (or none), then resolve on the way back.
        let mut path: Vec<usize> = Vec::new();
        let mut cursor = Some(root);
        while let Some(i) = cursor {
            match state.get(i) {
                Some(State::Unvisited) => {
                    state[i] = State::OnPath;
                    path.push(i);
                    cursor = base_of(i);
                }
                Some(State::OnPath) => {
                    // A cycle: report it once, at the image where it closes.
                    let from = path.iter().position(|&k| k == i).unwrap_or(0);
                    let cycle = path.get(from..).unwrap_or_default();
                    let mut names: Vec<String> = cycle.iter().take(4).map(|&k| quoted(&files[k].name)).collect();
                    if cycle.len() > 5 {
                        names.push(format!("… {} more", cycle.len() - 5));
                    }
                    if cycle.len() > 4 {
                        names.extend(cycle.last().map(|&k| quoted(&files[k].name)));
                    }
                    names.push(quoted(&files[i].name));
                    c.problem(
                        format!("images[{}].base", path.last().copied().unwrap_or(i)),
                        format!("the bases form a cycle: {}", names.join(" → ")),
                    );
                    for &k in &path {
                        state[k] = State::Done(None);
                    }
                    path.clear();
                    cursor = None;
                }
                _ => cursor = None,
            }
        }
        for &i in path.iter().rev() {
            let file = &files[i];
            let below: Option<Vec<BlobId>> = match file.base.as_deref() {
                None => Some(Vec::new()),
                Some(base) => match index.get(base) {
                    None => {
                        c.problem(
                            format!("images[{i}].base"),
                            format!("no image is named {}; {}", quoted(base), suggest(&index.0)),
                        );
                        None
                    }
                    Some(&b) => match &state[b] {
                        State::Done(layers) => layers.clone(),
                        _ => None,
                    },
                },
            };
            let layers = below.and_then(|mut layers| {
                layers.extend(own[i].iter().copied());
                if layers.len() > MAX_IMAGE_LAYERS {
                    c.problem(
                        format!("images[{i}].layers"),
                        format!(
                            "{} has {} layers with its bases'; an image has at most {MAX_IMAGE_LAYERS} \
                             (overlay2 mounts at most 128)",
                            quoted(&file.name),
                            layers.len() - own[i].len() + file.layers.len()
                        ),
                    );
                    return None;
                }
                let bytes = layers.iter().try_fold(0u64, |sum, b| sum.checked_add(blobs[b.index()].bytes.0));
                if bytes.is_none_or(|b| b > MAX_BYTES.0) {
                    c.problem(
                        format!("images[{i}].layers"),
                        format!("{}: its layers add up to more than {MAX_BYTES} (1 PiB)", quoted(&file.name)),
                    );
                    return None;
                }
                Some(layers)
            });
            state[i] = State::Done(layers);
        }
    }
    files
        .iter()
        .zip(state)
        .enumerate()
        .map(|(i, (f, st))| ImageSpec {
            name: f.name.clone(),
            base: base_of(i).map(|b| ImageId(b as u32)),
            layers: match st {
                State::Done(Some(layers)) => layers,
                _ => Vec::new(),
            },
        })
        .collect()
}

/// The Deployments a Kubernetes world's timeline makes (`Apply` of a
/// Deployment, or `Launch` of an app, which scales a Deployment named after
/// it), and every name that refers to one: `Scale`, `SetImage` and its
/// container, a HorizontalPodAutoscaler's target, a service's app. A name
/// used before its Deployment exists is refused like one that never does.
fn check_references(
    c: &mut Checker,
    world_path: &str,
    shared: &[(String, At)],
    own: &[(String, At)],
    services: &[ServiceLoad],
    apps: &[AppSpec],
) {
    // The world's entries in the order it takes them: by time, shared first.
    let mut entries: Vec<(SimDuration, String, &ActionFile)> =
        shared.iter().chain(own).map(|(path, a)| (a.0, path.clone(), &a.1)).collect();
    entries.sort_by_key(|e| e.0);
    // Every Deployment the timeline makes, when it first appears, and its containers.
    let mut made: BTreeMap<String, (SimDuration, Vec<String>)> = BTreeMap::new();
    for (at, _, action) in &entries {
        match action {
            ActionFile::Launch { app, .. } => {
                made.entry(app.clone()).or_insert_with(|| (*at, vec![app.clone()]));
            }
            ActionFile::Apply(object) => {
                if let KubeObjectFile::Deployment(d) = &**object {
                    made.entry(d.name.clone()).or_insert_with(|| (*at, Vec::new()));
                }
            }
            _ => {}
        }
    }
    let known = |made: &BTreeMap<String, (SimDuration, Vec<String>)>| {
        let names: Vec<String> = made.keys().take(12).map(|k| quoted(k)).collect();
        if names.is_empty() { "the world makes none".to_string() } else { format!("known: {}", names.join(", ")) }
    };
    // Containers as they are at each moment: the latest Apply's.
    let mut containers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (at, path, action) in &entries {
        let deployment_at = |name: &str| -> Option<String> {
            match made.get(name) {
                None => Some(format!("no Deployment is named {}; {}", quoted(name), known(&made))),
                Some((first, _)) if first > at => {
                    Some(format!("the Deployment {} is made only at {first}, after this action at {at}", quoted(name)))
                }
                Some(_) => None,
            }
        };
        match action {
            ActionFile::Launch { app, .. } => {
                containers.entry(app.clone()).or_insert_with(|| vec![app.clone()]);
            }
            ActionFile::Apply(object) => match &**object {
                KubeObjectFile::Deployment(d) => {
                    containers.insert(d.name.clone(), d.template.containers.iter().map(|f| f.name.clone()).collect());
                }
                KubeObjectFile::HorizontalPodAutoscaler(h) => {
                    if !made.contains_key(&h.scale_target_ref) {
                        c.problem(
                            format!("{path}.scaleTargetRef"),
                            format!("no Deployment is named {}; {}", quoted(&h.scale_target_ref), known(&made)),
                        );
                    }
                }
                KubeObjectFile::Service(_)
                | KubeObjectFile::PodDisruptionBudget(_)
                | KubeObjectFile::ReplicaSet(_)
                | KubeObjectFile::Pod(_) => {}
            },
            ActionFile::Scale { deployment, .. } => {
                if let Some(message) = deployment_at(deployment) {
                    c.problem(format!("{path}.deployment"), message);
                }
            }
            ActionFile::SetImage { deployment, container, .. } => {
                if let Some(message) = deployment_at(deployment) {
                    c.problem(format!("{path}.deployment"), message);
                } else if let (Some(name), Some(list)) = (container, containers.get(deployment))
                    && !list.contains(name)
                {
                    let names: Vec<String> = list.iter().map(|n| quoted(n)).collect();
                    c.problem(
                        format!("{path}.container"),
                        format!(
                            "the Deployment {} has no container named {}; it has {}",
                            quoted(deployment),
                            quoted(name),
                            names.join(", ")
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    let unserved: Vec<String> = services
        .iter()
        .filter_map(|s| apps.get(s.app.index()).filter(|a| !made.contains_key(&a.name)).map(|a| (s, a)))
        .map(|(s, a)| format!("{} (app {})", quoted(&s.name), quoted(&a.name)))
        .collect();
    if !unserved.is_empty() {
        c.problem(
            format!("{world_path}.services"),
            format!(
                "in Kubernetes a service is served by the Ready pods of the Deployment named after its app, \
                 and this world makes none for {} (Launch(app: …) or Apply(Deployment(name: …)) would); {}",
                unserved.join(", "),
                known(&made)
            ),
        );
    }
}

/// Names the file can use, resolved to ids.
struct Catalog<'a> {
    image_index: &'a ImageIndex,
    images: &'a [ImageSpec],
    vm_image_index: &'a BTreeMap<String, usize>,
    vm_images: &'a [VmImageSpec],
}

struct Names<'a> {
    apps: &'a BTreeMap<String, usize>,
    hosts: &'a BTreeMap<String, HostId>,
}

/// The blobs of the named container or VM images.
fn names_to_blobs(c: &mut Checker, path: &str, names: &[String], catalog: &Catalog) -> BTreeSet<BlobId> {
    let mut blobs = BTreeSet::new();
    for (k, name) in names.iter().enumerate() {
        if let Some(&i) = catalog.image_index.get(name) {
            blobs.extend(catalog.images[i].layers.iter().copied());
        } else if let Some(&v) = catalog.vm_image_index.get(name) {
            blobs.insert(catalog.vm_images[v].blob);
        } else {
            c.problem(format!("{path}[{k}]"), format!("no image or VM image is named {}", quoted(name)));
        }
    }
    blobs
}

/// Checks timeline entries and resolves their names; `launched` adds up the instances asked for.
fn check_timeline(
    c: &mut Checker,
    entries: &[(String, At)],
    duration: SimDuration,
    names: &Names,
    catalog: &Catalog,
    launched: &mut u64,
) -> Vec<TimedAction> {
    let mut out = Vec::new();
    for (path, at) in entries {
        let path = path.clone();
        if at.0 > duration {
            c.problem(&path, format!("at {} is after the end of the scenario ({duration})", at.0));
        }
        let app_id = |c: &mut Checker, name: &str| match names.apps.get(name) {
            Some(&k) => Some(AppId(k as u32)),
            None => {
                c.problem(format!("{path}.app"), format!("no app is named {}; {}", quoted(name), suggest(names.apps)));
                None
            }
        };
        let host_id = |c: &mut Checker, name: &str| match names.hosts.get(name) {
            Some(&h) => Some(h),
            None => {
                let known: BTreeMap<String, usize> =
                    names.hosts.iter().take(12).map(|(k, v)| (k.clone(), v.index())).collect();
                c.problem(format!("{path}.host"), format!("no host is named {}; {}", quoted(name), suggest(&known)));
                None
            }
        };
        let action = match &at.1 {
            ActionFile::Launch { app, count } => {
                c.positive(&format!("{path}.count"), u64::from(*count), "count");
                *launched += u64::from(*count);
                app_id(c, app).map(|app| Action::Launch { app, count: *count })
            }
            ActionFile::Stop { app, count } => {
                c.positive(&format!("{path}.count"), u64::from(*count), "count");
                app_id(c, app).map(|app| Action::Stop { app, count: *count })
            }
            ActionFile::FailHost(host) | ActionFile::FailNode(host) => host_id(c, host).map(Action::FailHost),
            ActionFile::RecoverHost(host) | ActionFile::RecoverNode(host) => host_id(c, host).map(Action::RecoverHost),
            ActionFile::Cordon(host) => host_id(c, host).map(Action::Cordon),
            ActionFile::Uncordon(host) => host_id(c, host).map(Action::Uncordon),
            ActionFile::Drain(host) => host_id(c, host).map(Action::Drain),
            // Read into Apply entries before the timeline is checked (`expand`).
            ActionFile::ApplyManifests(_) => None,
            ActionFile::Scale { deployment, replicas } => {
                if *replicas > MAX_REPLICAS {
                    c.problem(format!("{path}.replicas"), format!("at most {MAX_REPLICAS} replicas"));
                }
                *launched += u64::from(*replicas);
                Some(Action::Scale { deployment: deployment.clone(), replicas: *replicas })
            }
            ActionFile::SetImage { deployment, image, container } => match catalog.image_index.get(image) {
                Some(&i) => Some(Action::SetImage {
                    deployment: deployment.clone(),
                    container: container.clone(),
                    image: ImageId(i as u32),
                }),
                None => {
                    c.problem(
                        format!("{path}.image"),
                        format!("no image is named {}; {}", quoted(image), suggest(&catalog.image_index.0)),
                    );
                    None
                }
            },
            ActionFile::Apply(object) => match &**object {
                KubeObjectFile::HorizontalPodAutoscaler(h) => {
                    Some(Action::Apply(Arc::new(KubeObject::HorizontalPodAutoscaler(hpa(c, &path, h)))))
                }
                KubeObjectFile::Service(svc) => {
                    c.api_rule(&format!("{path}.name"), &svc.name, kube_rules::dns1035_label);
                    if svc.selector.is_empty() {
                        c.problem(format!("{path}.selector"), "a Service needs a selector");
                    }
                    c.labels(&format!("{path}.selector"), &svc.selector);
                    Some(Action::Apply(Arc::new(KubeObject::Service(ServiceSpec {
                        name: svc.name.clone(),
                        namespace: namespace(c, &path, &svc.namespace),
                        selector: svc.selector.clone(),
                    }))))
                }
                KubeObjectFile::Deployment(d) => {
                    *launched += u64::from(d.replicas);
                    deployment(c, &path, d, catalog)
                        .map(|spec| Action::Apply(Arc::new(KubeObject::Deployment(Box::new(spec)))))
                }
                KubeObjectFile::ReplicaSet(r) => {
                    *launched += u64::from(r.replicas);
                    replica_set(c, &path, r, catalog)
                        .map(|spec| Action::Apply(Arc::new(KubeObject::ReplicaSet(Box::new(spec)))))
                }
                KubeObjectFile::Pod(p) => {
                    *launched += 1;
                    standalone_pod(c, &path, p, catalog)
                        .map(|spec| Action::Apply(Arc::new(KubeObject::Pod(Box::new(spec)))))
                }
                KubeObjectFile::PodDisruptionBudget(b) => pod_disruption_budget(c, &path, b)
                    .map(|spec| Action::Apply(Arc::new(KubeObject::PodDisruptionBudget(spec)))),
            },
        };
        if let Some(action) = action {
            out.push(TimedAction { at: at.0, action });
        }
    }
    // Stable: equal times keep file order.
    out.sort_by_key(|t| t.at);
    out
}

/// An object's namespace, a DNS-1123 label (`ValidateNamespaceName`); `default` when left out.
fn namespace(c: &mut Checker, path: &str, namespace: &Option<String>) -> String {
    match namespace {
        Some(n) => {
            c.api_rule(&format!("{path}.namespace"), n, kube_rules::dns1123_label);
            n.clone()
        }
        None => "default".into(),
    }
}

/// `ValidatePodDisruptionBudgetSpec`.
fn pod_disruption_budget(
    c: &mut Checker,
    path: &str,
    b: &PodDisruptionBudgetFile,
) -> Option<crate::model::kube::PodDisruptionBudgetSpec> {
    use crate::model::kube::{DisruptionBudget, IntOrPercent};
    let before = c.found;
    c.api_rule(&format!("{path}.name"), &b.name, kube_rules::dns1123_subdomain);
    c.labels(&format!("{path}.selector"), &b.selector);
    for (field, value) in [("minAvailable", b.min_available), ("maxUnavailable", b.max_unavailable)] {
        if let Some(IntOrPercentFile(IntOrPercent::Percent(p))) = value
            && p > 100
        {
            c.problem(format!("{path}.{field}"), format!("Invalid value: \"{p}%\": must not be greater than 100%"));
        }
    }
    let budget = match (b.min_available, b.max_unavailable) {
        (Some(_), Some(_)) => {
            c.problem(path.to_string(), "Invalid value: minAvailable and maxUnavailable cannot be both set");
            return None;
        }
        (Some(m), None) => DisruptionBudget::MinAvailable(m.0),
        (None, Some(m)) => DisruptionBudget::MaxUnavailable(m.0),
        (None, None) => DisruptionBudget::Unset,
    };
    if c.found > before {
        return None;
    }
    Some(crate::model::kube::PodDisruptionBudgetSpec {
        name: b.name.clone(),
        namespace: namespace(c, path, &b.namespace),
        selector: b.selector.clone(),
        budget,
    })
}

fn platform(
    c: &mut Checker,
    path: &str,
    p: &PlatformFile,
    hosts: &[HostSpec],
    node_templates: Vec<NodeTemplate>,
) -> Platform {
    let dist = |c: &mut Checker, field: &str, d: &Option<Distribution>, default: fn() -> Distribution| {
        c.distribution_or(&format!("{path}.{field}"), d, default)
    };
    match p {
        PlatformFile::Vms { hypervisor_overhead, guest_os_memory, boot_time, stop_time } => Platform::Vms(VmPlatform {
            hypervisor_overhead: hypervisor_overhead.unwrap_or(VmPlatform::DEFAULT_HYPERVISOR_OVERHEAD),
            guest_os_memory: guest_os_memory.unwrap_or(VmPlatform::DEFAULT_GUEST_OS_MEMORY),
            boot_time: dist(c, "boot_time", boot_time, VmPlatform::default_boot_time),
            stop_time: dist(c, "stop_time", stop_time, VmPlatform::default_stop_time),
        }),
        PlatformFile::Containers { runtime_overhead, start_time, stop_time } => {
            Platform::Containers(ContainerPlatform {
                runtime_overhead: runtime_overhead.unwrap_or(ContainerPlatform::DEFAULT_RUNTIME_OVERHEAD),
                start_time: dist(c, "start_time", start_time, ContainerPlatform::default_start_time),
                stop_time: dist(c, "stop_time", stop_time, ContainerPlatform::default_stop_time),
            })
        }
        PlatformFile::MicroVms { vmm_overhead, guest_os_memory, boot_time, start_time, stop_time } => {
            Platform::MicroVms(MicroVmPlatform {
                vmm_overhead: vmm_overhead.unwrap_or(MicroVmPlatform::DEFAULT_VMM_OVERHEAD),
                guest_os_memory: guest_os_memory.unwrap_or(MicroVmPlatform::DEFAULT_GUEST_OS_MEMORY),
                boot_time: dist(c, "boot_time", boot_time, MicroVmPlatform::default_boot_time),
                start_time: dist(c, "start_time", start_time, MicroVmPlatform::default_start_time),
                stop_time: dist(c, "stop_time", stop_time, MicroVmPlatform::default_stop_time),
            })
        }
        PlatformFile::Kubernetes(k) => kubernetes(c, path, k, hosts, node_templates),
        PlatformFile::Dedicated { boot_time, stop_time } => {
            c.distribution(&format!("{path}.boot_time"), boot_time);
            Platform::Dedicated(DedicatedPlatform {
                boot_time: boot_time.clone(),
                stop_time: dist(c, "stop_time", stop_time, DedicatedPlatform::default_stop_time),
            })
        }
    }
}

/// The most replicas a Deployment may ask for.
pub const MAX_REPLICAS: u32 = 1_000_000;

fn kubernetes(
    c: &mut Checker,
    path: &str,
    k: &KubernetesFile,
    hosts: &[HostSpec],
    node_templates: Vec<NodeTemplate>,
) -> Platform {
    let dist = |c: &mut Checker, field: &str, d: &Option<Distribution>, default: fn() -> Distribution| {
        c.distribution_or(&format!("{path}.{field}"), d, default)
    };
    let nodes = match &k.nodes {
        None | Some(NodesFile::Hosts) => NodeSource::Hosts,
        Some(NodesFile::Vms { hypervisor_overhead, guest_os_memory, boot_time }) => NodeSource::Vms(VmPlatform {
            hypervisor_overhead: hypervisor_overhead.unwrap_or(VmPlatform::DEFAULT_HYPERVISOR_OVERHEAD),
            guest_os_memory: guest_os_memory.unwrap_or(VmPlatform::DEFAULT_GUEST_OS_MEMORY),
            boot_time: dist(c, "nodes.boot_time", boot_time, VmPlatform::default_boot_time),
            stop_time: VmPlatform::default_stop_time(),
        }),
    };
    let node_components = match &k.node_components {
        None => KubePlatform::default_node_components(),
        Some(list) => {
            list.iter().map(|n| NodeComponent { name: n.name.clone(), cpu: n.cpu, memory: n.memory }).collect()
        }
    };
    let profile = match (&k.scheduler, &k.scheduler_config) {
        (None, None) => Profile::default(),
        (Some(cfg), None) => match cfg.resolve(&format!("{path}.scheduler")) {
            Ok(p) => p,
            Err(problems) => {
                for (p, m) in problems {
                    c.problem(p, m);
                }
                Profile::default()
            }
        },
        (None, Some(file)) => match c.read_side_file.read(file) {
            Ok(text) => {
                let (profile, ignored, problems) = super::scheduler_config::resolve_yaml(&text, file);
                for p in problems {
                    c.problem(p.path, p.message);
                }
                for i in ignored {
                    c.ignored.insert((i.file, i.at, i.object, i.path, i.reason));
                }
                profile.unwrap_or_default()
            }
            Err(message) => {
                c.problem(format!("{path}.scheduler_config"), format!("cannot read {}: {message}", quoted(file)));
                Profile::default()
            }
        },
        (Some(_), Some(_)) => {
            c.problem(
                format!("{path}.scheduler_config"),
                "give the scheduler's configuration once: either scheduler or scheduler_config",
            );
            Profile::default()
        }
    };
    let nodes_are_vms = matches!(nodes, NodeSource::Vms(_));
    let max_pods = k.max_pods.unwrap_or(KubePlatform::DEFAULT_MAX_PODS);
    c.positive(&format!("{path}.max_pods"), u64::from(max_pods), "max_pods");
    let period = |c: &mut Checker, field: &str, v: Option<SimDuration>, default: SimDuration| {
        let v = v.unwrap_or(default);
        c.positive(&format!("{path}.{field}"), v.0, field);
        v
    };
    // Nodes a second: 0 stops evictions; a rate above a million a second is no rate.
    let eviction_rate = |c: &mut Checker, field: &str, v: Option<f64>, default: f64| {
        let v = v.unwrap_or(default);
        if !(0.0..=1e6).contains(&v) {
            c.problem(format!("{path}.{field}"), "nodes a second, from 0 (no evictions) to 1e6");
            return default;
        }
        v
    };
    // kube-controller-manager: the grace period must be longer than the kubelet's
    // reporting interval, or a node that reports on time would go NotReady between reports.
    let grace = k.node_monitor_grace_period.unwrap_or(KubePlatform::DEFAULT_NODE_MONITOR_GRACE_PERIOD);
    let frequency = k.node_status_update_frequency.unwrap_or(KubePlatform::DEFAULT_NODE_STATUS_UPDATE_FREQUENCY);
    if grace <= frequency {
        c.problem(
            format!("{path}.node_monitor_grace_period"),
            format!(
                "must be longer than node_status_update_frequency ({frequency}): a node that reports on time \
                 would go NotReady between its reports"
            ),
        );
    }
    Platform::Kubernetes(Box::new(KubePlatform {
        node_templates,
        nodes,
        node_components,
        max_pods,
        profile,
        scheduling_time: dist(c, "scheduling_time", &k.scheduling_time, KubePlatform::default_scheduling_time),
        api_watch_delay: k.api_watch_delay.unwrap_or(KubePlatform::DEFAULT_API_WATCH_DELAY),
        node_monitor_period: period(
            c,
            "node_monitor_period",
            k.node_monitor_period,
            KubePlatform::DEFAULT_NODE_MONITOR_PERIOD,
        ),
        node_monitor_grace_period: period(
            c,
            "node_monitor_grace_period",
            k.node_monitor_grace_period,
            KubePlatform::DEFAULT_NODE_MONITOR_GRACE_PERIOD,
        ),
        node_status_update_frequency: period(
            c,
            "node_status_update_frequency",
            k.node_status_update_frequency,
            KubePlatform::DEFAULT_NODE_STATUS_UPDATE_FREQUENCY,
        ),
        default_toleration_seconds: c.seconds(
            &format!("{path}.default_toleration_seconds"),
            k.default_toleration_seconds.unwrap_or(KubePlatform::DEFAULT_TOLERATION_SECONDS),
        ),
        node_eviction_rate: eviction_rate(
            c,
            "node_eviction_rate",
            k.node_eviction_rate,
            KubePlatform::DEFAULT_NODE_EVICTION_RATE,
        ),
        secondary_node_eviction_rate: eviction_rate(
            c,
            "secondary_node_eviction_rate",
            k.secondary_node_eviction_rate,
            KubePlatform::DEFAULT_SECONDARY_NODE_EVICTION_RATE,
        ),
        unhealthy_zone_threshold: {
            let t = k.unhealthy_zone_threshold.unwrap_or(KubePlatform::DEFAULT_UNHEALTHY_ZONE_THRESHOLD);
            if !(t > 0.0 && t <= 1.0) {
                c.problem(format!("{path}.unhealthy_zone_threshold"), "a share of a zone's nodes: above 0, at most 1");
            }
            t
        },
        large_cluster_size_threshold: k
            .large_cluster_size_threshold
            .unwrap_or(KubePlatform::DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD),
        serialize_image_pulls: k.serialize_image_pulls.unwrap_or(true),
        container_start_time: dist(
            c,
            "container_start_time",
            &k.container_start_time,
            ContainerPlatform::default_start_time,
        ),
        container_stop_time: dist(
            c,
            "container_stop_time",
            &k.container_stop_time,
            ContainerPlatform::default_stop_time,
        ),
        runtime_overhead: k.runtime_overhead.unwrap_or(ContainerPlatform::DEFAULT_RUNTIME_OVERHEAD),
        cluster_autoscaler: k.cluster_autoscaler.as_ref().map(|ca| {
            let ca_path = format!("{path}.cluster_autoscaler");
            if nodes_are_vms {
                c.problem(&ca_path, "the cluster autoscaler adds and removes hosts as nodes; use nodes: Hosts with it");
            }
            cluster_autoscaler(c, &ca_path, ca, hosts)
        }),
    }))
}

fn cluster_autoscaler(
    c: &mut Checker,
    path: &str,
    ca: &ClusterAutoscalerFile,
    hosts: &[HostSpec],
) -> ClusterAutoscalerSpec {
    let mut node_groups = Vec::new();
    for (i, g) in ca.node_groups.iter().enumerate() {
        let gpath = format!("{path}.node_groups[{i}]");
        if ca.node_groups[..i].iter().any(|o| o.hosts == g.hosts) {
            c.problem(format!("{gpath}.hosts"), format!("another node group already holds {}", quoted(&g.hosts)));
            continue;
        }
        let members: Vec<HostId> =
            hosts.iter().enumerate().filter(|(_, h)| h.group == g.hosts).map(|(k, _)| HostId(k as u32)).collect();
        if members.is_empty() {
            c.problem(format!("{gpath}.hosts"), format!("no host group is named {}", quoted(&g.hosts)));
            continue;
        }
        let max = g.max.unwrap_or(members.len() as u32);
        if max as usize > members.len() {
            c.problem(
                format!("{gpath}.max"),
                format!("the host group {} has only {} hosts", quoted(&g.hosts), members.len()),
            );
        }
        if g.min > max {
            c.problem(format!("{gpath}.min"), format!("min ({}) is above max ({max})", g.min));
        }
        let initial = g.initial.unwrap_or(g.min);
        if initial < g.min || initial > max {
            c.problem(
                format!("{gpath}.initial"),
                format!("{initial} nodes is not between min ({}) and max ({max})", g.min),
            );
        }
        c.distribution(&format!("{gpath}.provisioning_time"), &g.provisioning_time);
        node_groups.push(NodeGroup {
            name: g.hosts.clone(),
            hosts: members,
            min: g.min,
            max,
            initial,
            provisioning_time: g.provisioning_time.clone(),
        });
    }
    let threshold = ca.scale_down_utilization_threshold.unwrap_or(ClusterAutoscalerSpec::DEFAULT_UTILIZATION_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        c.problem(format!("{path}.scale_down_utilization_threshold"), "between 0 and 1");
    }
    ClusterAutoscalerSpec {
        node_groups,
        scan_interval: ca
            .scan_interval
            .unwrap_or(ClusterAutoscalerSpec::DEFAULT_SCAN_INTERVAL)
            .max(SimDuration::from_millis(100)),
        scale_down_enabled: ca.scale_down.unwrap_or(true),
        scale_down_unneeded_time: ca.scale_down_unneeded_time.unwrap_or(ClusterAutoscalerSpec::DEFAULT_UNNEEDED_TIME),
        scale_down_utilization_threshold: threshold,
        scale_down_delay_after_add: ca
            .scale_down_delay_after_add
            .unwrap_or(ClusterAutoscalerSpec::DEFAULT_DELAY_AFTER_ADD),
    }
}

/// The most an hour of a host or an instance may cost: enough for any real
/// machine, and small enough that a year of 100,000 of them stays finite.
pub const MAX_PRICE_PER_HOUR: f64 = 1e6;
/// The most a host may draw: a megawatt.
pub const MAX_WATTS: f64 = 1e6;

/// A price per hour, zero when absent, between 0 and [`MAX_PRICE_PER_HOUR`].
fn price(c: &mut Checker, path: &str, price: Option<f64>) -> f64 {
    let p = price.unwrap_or(0.0);
    if !(p.is_finite() && (0.0..=MAX_PRICE_PER_HOUR).contains(&p)) {
        c.problem(path, "a price is between 0 and 1000000 an hour");
        return 0.0;
    }
    p
}

/// Whether `w` is a number of watts in range.
fn watts_ok(w: f64) -> bool {
    w.is_finite() && (0.0..=MAX_WATTS).contains(&w)
}

fn power(c: &mut Checker, path: &str, p: &PowerFile) -> PowerSpec {
    if let Some(table) = &p.table {
        if table.len() != 11 {
            c.problem(
                format!("{path}.table"),
                format!("{} figures; a table has 11, at 0 %, 10 %, … 100 %", table.len()),
            );
        }
        if !table.iter().all(|w| watts_ok(*w)) {
            c.problem(format!("{path}.table"), "watts are between 0 and 1000000 (a megawatt)");
        }
        // A server draws no less as its utilisation rises: SPECpower's
        // tables never fall, and a falling one would pay a host to work.
        for (k, pair) in table.windows(2).enumerate().take(10) {
            if pair[1] < pair[0] {
                c.problem(
                    format!("{path}.table[{}]", k + 1),
                    format!(
                        "{} watts at {} % is less than {} at {} %; power draw does not fall as utilisation rises",
                        pair[1],
                        (k + 1) * 10,
                        pair[0],
                        k * 10
                    ),
                );
            }
        }
        if p.idle_watts.is_some() || p.peak_watts.is_some() {
            c.problem(path, "give either a table or idle_watts and peak_watts");
        }
        let mut points = [0.0; 11];
        for (k, w) in table.iter().take(11).enumerate() {
            points[k] = if watts_ok(*w) { *w } else { 0.0 };
        }
        return PowerSpec { idle_watts: points[0], peak_watts: points[10], table: Some(Arc::new(points)) };
    }
    let (Some(idle), Some(peak)) = (p.idle_watts, p.peak_watts) else {
        c.problem(path, "give idle_watts and peak_watts, or a table of 11 figures");
        return PowerSpec::HP_ML110_G4;
    };
    if !watts_ok(idle) {
        c.problem(format!("{path}.idle_watts"), "idle_watts is a number of watts between 0 and 1000000 (a megawatt)");
        return PowerSpec::HP_ML110_G4;
    }
    if !(watts_ok(peak) && peak >= idle) {
        c.problem(format!("{path}.peak_watts"), "peak_watts is at least idle_watts and at most 1000000 (a megawatt)");
        return PowerSpec::HP_ML110_G4;
    }
    PowerSpec { idle_watts: idle, peak_watts: peak, table: None }
}

/// Services under load, checked.
fn services(
    c: &mut Checker,
    at: &str,
    files: &[TrafficServiceFile],
    apps: &BTreeMap<String, usize>,
    duration: SimDuration,
) -> Vec<ServiceLoad> {
    let _ = index_names(c, files.iter().map(|s| s.name.as_str()), at, "service");
    let mut out = Vec::new();
    for (i, s) in files.iter().enumerate() {
        let path = format!("{at}[{i}]");
        c.name(&format!("{path}.name"), &s.name, "service");
        let Some(&app) = apps.get(&s.app) else {
            c.problem(format!("{path}.app"), format!("no app is named {}; {}", quoted(&s.app), suggest(apps)));
            continue;
        };
        let Some(load) = load_profile(c, &format!("{path}.load"), &s.load, duration) else { continue };
        c.distribution(&format!("{path}.cost"), &s.cost);
        // Requests are measured from the warmup to the end; a warmup that
        // reaches the end would leave every request metric empty.
        if let Some(warmup) = s.warmup.filter(|w| *w >= duration) {
            c.problem(
                format!("{path}.warmup"),
                format!("{warmup} is not before the end of the scenario ({duration}), so no request would be measured"),
            );
        }
        let concurrency = s.concurrency.unwrap_or(1);
        if concurrency == 0 || concurrency > MAX_CONCURRENCY {
            c.problem(
                format!("{path}.concurrency"),
                format!("between 1 and {MAX_CONCURRENCY} requests at once per core"),
            );
        }
        out.push(ServiceLoad {
            name: s.name.clone(),
            app: AppId(app as u32),
            load,
            cost: s.cost.clone(),
            concurrency: concurrency.clamp(1, MAX_CONCURRENCY),
            routing: s.routing.unwrap_or_default(),
            timeout: s.timeout.unwrap_or(SimDuration::from_secs(30)),
            slo_p95: s.slo_p95.unwrap_or(SimDuration::from_millis(500)),
            warmup: s.warmup.unwrap_or(SimDuration::ZERO),
        });
    }
    out
}

/// Most requests served at once per core.
pub const MAX_CONCURRENCY: u32 = 1000;

/// A load profile from the file, checked, with a trace read from its CSV file.
fn load_profile(c: &mut Checker, path: &str, load: &LoadFile, duration: SimDuration) -> Option<LoadProfile> {
    let ok = |r: f64| r.is_finite() && r >= 0.0;
    // A change of load after the end would never be seen: refused like a timeline entry.
    let mut within = |field: &str, at: SimDuration| {
        if at > duration {
            c.problem(format!("{path}.{field}"), format!("{at} is after the end of the scenario ({duration})"));
        }
    };
    match load {
        LoadFile::Step { at, .. } => within("at", *at),
        LoadFile::Ramp { start, .. } | LoadFile::Spike { start, .. } => within("start", *start),
        LoadFile::Diurnal { peak_at, .. } if *peak_at >= SimDuration::from_secs(86_400) => {
            c.problem(
                format!("{path}.peak_at"),
                format!("{peak_at} is not a time of day; the peak is between 0s and 24h"),
            );
        }
        _ => {}
    }
    let (profile, rates_ok) = match load {
        LoadFile::Constant(r) => (LoadProfile::Constant(*r), ok(*r)),
        LoadFile::Step { from, to, at } => (LoadProfile::Step { from: *from, to: *to, at: *at }, ok(*from) && ok(*to)),
        LoadFile::Ramp { from, to, start, end } => {
            if end < start {
                c.problem(format!("{path}.end"), "the ramp ends before it starts");
            }
            (LoadProfile::Ramp { from: *from, to: *to, start: *start, end: *end }, ok(*from) && ok(*to))
        }
        LoadFile::Spike { base, peak, start, ramp, hold } => (
            LoadProfile::Spike { base: *base, peak: *peak, start: *start, ramp: *ramp, hold: *hold },
            ok(*base) && ok(*peak),
        ),
        LoadFile::Diurnal { min, max, peak_at } => {
            if ok(*min) && ok(*max) && min > max {
                c.problem(format!("{path}.min"), format!("min ({min}) is above max ({max})"));
            }
            (LoadProfile::Diurnal { min: *min, max: *max, peak_at: *peak_at }, ok(*min) && ok(*max))
        }
        LoadFile::Trace { file, scale } => {
            let scale = scale.unwrap_or(1.0);
            if !ok(scale) {
                c.problem(format!("{path}.scale"), "the scale is a number, zero or more");
                return None;
            }
            let text = match c.read_side_file.read(file) {
                Ok(text) => text,
                Err(message) => {
                    c.problem(format!("{path}.file"), format!("cannot read {}: {message}", quoted(file)));
                    return None;
                }
            };
            match trace_points(&text) {
                Ok(points) => (LoadProfile::Trace(points.into_iter().map(|(t, r)| (t, r * scale)).collect()), true),
                Err(message) => {
                    c.problem(format!("{path}.file"), format!("{file}: {message}"));
                    return None;
                }
            }
        }
    };
    if !rates_ok {
        c.problem(path, "rates are requests per second, zero or more");
        return None;
    }
    if profile.max_rate() > 1e6 {
        c.problem(path, "at most 1,000,000 requests per second");
        return None;
    }
    Some(profile)
}

/// The rows of a load trace: `seconds,rps`, seconds rising, with blank
/// lines, `#` comments and one header line allowed.
pub fn trace_points(text: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut header_allowed = true;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let numbers: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        if header_allowed && numbers.iter().all(Option::is_none) {
            header_allowed = false;
            continue;
        }
        header_allowed = false;
        let (t, r) = match numbers.as_slice() {
            [Some(t), Some(r)] => (*t, *r),
            _ => return Err(format!("line {n}: expected two numbers, seconds,rps; found {}", quoted(line))),
        };
        if !t.is_finite() || t < 0.0 {
            return Err(format!("line {n}: the time {t} is not a number of seconds, zero or more"));
        }
        if !r.is_finite() || r < 0.0 {
            return Err(format!("line {n}: the rate {r} is not a number of requests per second, zero or more"));
        }
        if let Some(&(last, _)) = points.last()
            && t <= last
        {
            return Err(format!("line {n}: the time {t} s does not come after the row before it ({last} s)"));
        }
        points.push((t, r));
    }
    if points.is_empty() {
        return Err("no rows of seconds,rps".to_string());
    }
    Ok(points)
}

/// The highest CPU utilisation target that can still scale up: instances use
/// at most the CPU they request, so utilisation never passes 100 %, and a
/// scale-up needs a ratio above the tolerance band (above 1.1 with the
/// default 0.1, so 90 %). `None` when no target can.
fn max_target_cpu_percent(tolerances: &Tolerances) -> Option<u32> {
    (1..=100u32).rev().find(|&t| {
        let ratio = 100.0 / f64::from(t);
        ratio > 1.0 && !tolerances.is_within(ratio)
    })
}

fn hpa(c: &mut Checker, path: &str, h: &HpaFile) -> HpaSpec {
    c.api_rule(&format!("{path}.name"), &h.name, kube_rules::dns1123_subdomain);
    let min = h.min_replicas.unwrap_or(1);
    if h.max_replicas == 0 || h.max_replicas > MAX_REPLICAS {
        c.problem(format!("{path}.maxReplicas"), format!("between 1 and {MAX_REPLICAS}"));
    }
    if min == 0 || min > h.max_replicas {
        c.problem(format!("{path}.minReplicas"), format!("between 1 and maxReplicas ({})", h.max_replicas));
    }
    // The band as the controller will see it (a negative side is refused below, with the behavior).
    let side =
        |rules: Option<&ScalingRulesFile>| rules.and_then(|r| r.tolerance).filter(|t| !t.negative).map(|t| t.value);
    let file_behavior = h.behavior.as_ref();
    let tolerances = Tolerances::with_sides(
        &HpaConfig::default(),
        side(file_behavior.and_then(|b| b.scale_up.as_ref())),
        side(file_behavior.and_then(|b| b.scale_down.as_ref())),
    );
    let max_target = max_target_cpu_percent(&tolerances);
    if max_target.is_none() {
        c.problem(
            format!("{path}.behavior.scaleUp.tolerance"),
            "instances here use at most the CPU they request, so with this tolerance no target could ever scale up",
        );
    }
    // A utilisation target above what pods can reach would never scale up.
    let mut utilization = |c: &mut Checker, field: String, target: u32, resource: MetricResource| -> u32 {
        let what = match resource {
            MetricResource::Cpu => "CPU",
            MetricResource::Memory => "memory",
        };
        if let Some(max) = max_target
            && (target == 0 || target > max)
        {
            c.problem(
                field,
                format!(
                    "between 1 and {max}: instances here use at most the {what} they request, so a higher target could never scale up{}",
                    if tolerances.scale_up == HpaConfig::default().tolerance { String::new() } else { format!(" (with a scale-up tolerance of {})", tolerances.scale_up) }
                ),
            );
        }
        target.clamp(1, max_target.unwrap_or(1))
    };
    let metrics = match (h.target_cpu_utilization_percentage, &h.metrics) {
        (Some(_), Some(_)) => {
            c.problem(
                format!("{path}.metrics"),
                "set either targetCPUUtilizationPercentage (one CPU target) or metrics, not both",
            );
            vec![MetricSpec::default_cpu()]
        }
        (Some(t), None) => {
            vec![MetricSpec::cpu_utilization(utilization(
                c,
                format!("{path}.targetCPUUtilizationPercentage"),
                t,
                MetricResource::Cpu,
            ))]
        }
        // autoscaling/v2's default: 80 % CPU utilisation.
        (None, None) => {
            let t = utilization(c, format!("{path}.targetCPUUtilizationPercentage"), 80, MetricResource::Cpu);
            vec![MetricSpec::cpu_utilization(t)]
        }
        (None, Some(list)) if list.is_empty() => {
            c.problem(format!("{path}.metrics"), "Required value: must specify at least one metric");
            vec![MetricSpec::default_cpu()]
        }
        (None, Some(list)) => list
            .iter()
            .enumerate()
            .map(|(i, m)| hpa_metric(c, &format!("{path}.metrics[{i}]"), m, &mut utilization))
            .collect(),
    };
    let behavior = h.behavior.as_ref().map(|b| Behavior {
        scale_up: scaling_rules(c, &format!("{path}.behavior.scaleUp"), &b.scale_up, ScalingRules::default_scale_up()),
        scale_down: scaling_rules(
            c,
            &format!("{path}.behavior.scaleDown"),
            &b.scale_down,
            ScalingRules::default_scale_down(),
        ),
    });
    HpaSpec {
        name: h.name.clone(),
        namespace: namespace(c, path, &h.namespace),
        target: h.scale_target_ref.clone(),
        min_replicas: min.max(1),
        max_replicas: h.max_replicas.max(1),
        metrics,
        behavior,
    }
}

/// One of an HPA's metrics, checked as `validateMetricSpec` checks it, and
/// against what Flotilla measures: cpu and memory from metrics-server, the
/// [`PODS_METRICS`] from the custom metrics API.
fn hpa_metric(
    c: &mut Checker,
    path: &str,
    m: &MetricFile,
    utilization: &mut impl FnMut(&mut Checker, String, u32, MetricResource) -> u32,
) -> MetricSpec {
    let resource = |c: &mut Checker, name: &str| match name {
        "cpu" => MetricResource::Cpu,
        "memory" => MetricResource::Memory,
        "" => {
            c.problem(format!("{path}.name"), "Required value: must specify a resource name");
            MetricResource::Cpu
        }
        other => {
            c.problem(
                format!("{path}.name"),
                format!("{}: metrics-server measures \"cpu\" and \"memory\"", quoted(other)),
            );
            MetricResource::Cpu
        }
    };
    let (source, target) = match m {
        MetricFile::Resource { name, target } => {
            (MetricSource::Resource { resource: resource(c, name), container: None }, target)
        }
        MetricFile::ContainerResource { name, container, target } => {
            let resource = resource(c, name);
            if container.is_empty() {
                c.problem(format!("{path}.container"), "Required value: must specify a container");
            } else {
                c.api_rule(&format!("{path}.container"), container, kube_rules::dns1123_label);
            }
            (MetricSource::Resource { resource, container: Some(container.clone()) }, target)
        }
        MetricFile::Pods { metric, target } => {
            if !PODS_METRICS.contains(&metric.as_str()) {
                let known = PODS_METRICS.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", ");
                c.problem(
                    format!("{path}.metric"),
                    format!("{}: Flotilla's custom metrics API serves {known} for pods", quoted(metric)),
                );
            }
            if let MetricTargetFile::Utilization(_) = target {
                c.problem(
                    format!("{path}.target"),
                    "Required value: must specify a positive target averageValue (a Pods metric has no utilization)",
                );
            }
            (MetricSource::Pods { metric: metric.clone() }, target)
        }
    };
    let target = match target {
        MetricTargetFile::Utilization(u) => {
            let resource = match &source {
                MetricSource::Resource { resource, .. } => *resource,
                MetricSource::Pods { .. } => MetricResource::Cpu,
            };
            MetricTarget::Utilization(utilization(c, format!("{path}.target"), *u, resource))
        }
        MetricTargetFile::AverageValue(text) => {
            let milli = match manifests::quantity::canonical(text, true) {
                Ok(canonical) if canonical.starts_with('-') || canonical == "0m" => {
                    c.problem(format!("{path}.target"), "Invalid value: must be positive");
                    1
                }
                Ok(canonical) => canonical.trim_end_matches('m').parse::<u64>().unwrap_or(u64::MAX),
                Err(e) => {
                    c.problem(format!("{path}.target"), format!("{}: {e}", quoted(text)));
                    1
                }
            };
            MetricTarget::AverageValue { milli, text: text.clone() }
        }
    };
    MetricSpec { source, target }
}

/// `behavior.scaleUp` or `scaleDown`, checked as the API server does, its
/// missing fields filled from `default`.
fn scaling_rules(c: &mut Checker, path: &str, file: &Option<ScalingRulesFile>, default: ScalingRules) -> ScalingRules {
    let Some(f) = file else { return default };
    let stabilization_window = match f.stabilization_window_seconds {
        None => default.stabilization_window,
        Some(s) if s <= 3600 => SimDuration::from_secs(s),
        Some(_) => {
            c.problem(format!("{path}.stabilizationWindowSeconds"), "between 0 and 3600");
            default.stabilization_window
        }
    };
    let policies = match &f.policies {
        None => default.policies,
        Some(list) if list.is_empty() => {
            c.problem(format!("{path}.policies"), "at least one policy");
            default.policies
        }
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(k, p)| {
                if p.value == 0 || p.value > MAX_REPLICAS {
                    c.problem(format!("{path}.policies[{k}].value"), format!("between 1 and {MAX_REPLICAS}"));
                }
                if !(1..=1800).contains(&p.period_seconds) {
                    c.problem(format!("{path}.policies[{k}].periodSeconds"), "between 1 and 1800");
                }
                let period = SimDuration::from_secs(p.period_seconds.clamp(1, 1800));
                let value = p.value.clamp(1, MAX_REPLICAS);
                match p.kind {
                    ScalingPolicyType::Pods => ScalingPolicy::Pods { value, period },
                    ScalingPolicyType::Percent => ScalingPolicy::Percent { value, period },
                }
            })
            .collect(),
    };
    let select = match f.select_policy {
        None => default.select,
        Some(SelectPolicyFile::Max) => SelectPolicy::Max,
        Some(SelectPolicyFile::Min) => SelectPolicy::Min,
        Some(SelectPolicyFile::Disabled) => SelectPolicy::Disabled,
    };
    let tolerance = f.tolerance.and_then(|t| {
        if t.negative && t.value.mantissa != 0 {
            c.problem(
                format!("{path}.tolerance"),
                format!("Invalid value: \"-{}\": must be greater than or equal to 0", t.value),
            );
            None
        } else {
            Some(t.value)
        }
    });
    ScalingRules { stabilization_window, policies, select, tolerance }
}

/// A Deployment from the file, checked, with image names resolved.
fn deployment(c: &mut Checker, path: &str, d: &DeploymentFile, catalog: &Catalog) -> Option<DeploymentSpec> {
    let before = c.found;
    c.name(&format!("{path}.name"), &d.name, "Deployment");
    c.api_rule(&format!("{path}.name"), &d.name, kube_rules::dns1123_subdomain);
    if d.replicas > MAX_REPLICAS {
        c.problem(format!("{path}.replicas"), format!("at most {MAX_REPLICAS} replicas"));
    }
    if let Some(StrategyFile::RollingUpdate { max_surge, max_unavailable }) = &d.strategy {
        let zero = |x: &Option<super::file::IntOrPercentFile>| {
            matches!(x.map(|v| v.0), Some(IntOrPercent::Int(0) | IntOrPercent::Percent(0)))
        };
        // ValidateRollingUpdateDeployment: both zero would never make progress.
        if zero(max_surge) && zero(max_unavailable) {
            c.problem(format!("{path}.strategy.maxUnavailable"), "Invalid value: 0: may not be 0 when `maxSurge` is 0");
        }
        for (field, v) in [("maxSurge", max_surge), ("maxUnavailable", max_unavailable)] {
            if let Some(IntOrPercent::Int(n)) = v.map(|v| v.0)
                && n > MAX_REPLICAS
            {
                c.problem(format!("{path}.strategy.{field}"), format!("at most {MAX_REPLICAS}"));
            }
        }
        // IsNotMoreThan100Percent: a surge may be any percentage, unavailability at most all of them.
        if let Some(IntOrPercent::Percent(p)) = max_unavailable.map(|v| v.0)
            && p > 100
        {
            c.problem(
                format!("{path}.strategy.maxUnavailable"),
                format!("Invalid value: \"{p}%\": must not be greater than 100%"),
            );
        }
    }
    let strategy = match &d.strategy {
        None => DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        },
        Some(StrategyFile::Recreate) => DeploymentStrategy::Recreate,
        Some(StrategyFile::RollingUpdate { max_surge, max_unavailable }) => DeploymentStrategy::RollingUpdate {
            max_surge: max_surge.map(|x| x.0).unwrap_or(IntOrPercent::Percent(25)),
            max_unavailable: max_unavailable.map(|x| x.0).unwrap_or(IntOrPercent::Percent(25)),
        },
    };
    let template = pod_template(c, &format!("{path}.template"), &d.template, &d.name, catalog, true);
    if c.found > before {
        return None;
    }
    Some(DeploymentSpec {
        name: d.name.clone(),
        namespace: namespace(c, path, &d.namespace),
        replicas: d.replicas,
        strategy,
        min_ready: SimDuration::from_secs(c.seconds(&format!("{path}.minReadySeconds"), d.min_ready_seconds)),
        template,
    })
}

/// A ReplicaSet applied on its own (`ValidateReplicaSet`).
fn replica_set(c: &mut Checker, path: &str, r: &ReplicaSetFile, catalog: &Catalog) -> Option<ReplicaSetSpec> {
    let before = c.found;
    c.name(&format!("{path}.name"), &r.name, "ReplicaSet");
    c.api_rule(&format!("{path}.name"), &r.name, kube_rules::dns1123_subdomain);
    if r.replicas > MAX_REPLICAS {
        c.problem(format!("{path}.replicas"), format!("at most {MAX_REPLICAS} replicas"));
    }
    let template = pod_template(c, &format!("{path}.template"), &r.template, &r.name, catalog, true);
    if c.found > before {
        return None;
    }
    Some(ReplicaSetSpec {
        name: r.name.clone(),
        namespace: namespace(c, path, &r.namespace),
        replicas: r.replicas,
        template,
    })
}

/// A Pod applied on its own (`ValidatePodCreate`): any restart policy.
fn standalone_pod(c: &mut Checker, path: &str, p: &PodFile, catalog: &Catalog) -> Option<StandalonePodSpec> {
    let before = c.found;
    c.name(&format!("{path}.name"), &p.name, "Pod");
    c.api_rule(&format!("{path}.name"), &p.name, kube_rules::dns1123_subdomain);
    let template = pod_template(c, &format!("{path}.template"), &p.template, &p.name, catalog, false);
    if c.found > before {
        return None;
    }
    Some(StandalonePodSpec { name: p.name.clone(), namespace: namespace(c, path, &p.namespace), template })
}

/// A pod template, checked as the API server checks a pod's spec; a
/// controller's pods (`controlled`) must restart always, and get the labels
/// `{"app": owner}` when the template has none. A Pod of its own keeps what
/// it has.
fn pod_template(
    c: &mut Checker,
    tpath: &str,
    t: &PodTemplateFile,
    owner: &str,
    catalog: &Catalog,
    controlled: bool,
) -> PodTemplate {
    if t.containers.is_empty() {
        c.problem(format!("{tpath}.containers"), "a pod needs at least one container");
    }
    let container = |c: &mut Checker, p: String, f: &ContainerFile, init: bool| -> Option<ContainerSpec> {
        use crate::model::kube::RestartPolicy;
        // validateContainers / validateInitContainers: only an init container
        // may set restartPolicy, and only to Always (a sidecar).
        let sidecar = match (f.restart_policy, init) {
            (None, _) => false,
            (Some(_), false) => {
                c.problem(format!("{p}.restartPolicy"), "Forbidden: may not be set for non-init containers");
                false
            }
            (Some(RestartPolicy::Always), true) => true,
            (Some(other), true) => {
                c.problem(
                    format!("{p}.restartPolicy"),
                    format!("Unsupported value: \"{other:?}\": supported values: \"Always\""),
                );
                false
            }
        };
        c.name(&format!("{p}.name"), &f.name, "container");
        c.api_rule(&format!("{p}.name"), &f.name, kube_rules::dns1123_label);
        let Some(&image) = catalog.image_index.get(&f.image) else {
            c.problem(
                format!("{p}.image"),
                format!("no image is named {}; {}", quoted(&f.image), suggest(&catalog.image_index.0)),
            );
            return None;
        };
        let requests = f.resources.requests.clone().unwrap_or_default();
        let limits = f.resources.limits.clone().unwrap_or_default();
        // A limit without a request requests the limit (core/v1 defaults).
        let cpu_request = requests.cpu.or(limits.cpu);
        let memory_request = requests.memory.or(limits.memory);
        if let (Some(l), Some(r)) = (limits.cpu, cpu_request)
            && l < r
        {
            c.problem(format!("{p}.resources.limits.cpu"), "the limit is below the request");
        }
        if let (Some(l), Some(r)) = (limits.memory, memory_request)
            && l < r
        {
            c.problem(format!("{p}.resources.limits.memory"), "the limit is below the request");
        }
        // Extended resources cannot be overcommitted: a request equals its
        // limit, and a limit alone is the request (ValidateResourceRequirements).
        for (name, &r) in &requests.extended {
            match limits.extended.get(name) {
                None => c.problem(
                    format!("{p}.resources.limits[{name}]"),
                    "Required value: Limit must be set for non overcommitable resources",
                ),
                Some(&l) if l != r => c.problem(
                    format!("{p}.resources.requests[{name}]"),
                    format!("Invalid value: \"{r}\": must be equal to {name} limit of {l}"),
                ),
                Some(_) => {}
            }
        }
        let extended = c.extended_amounts(&format!("{p}.resources.limits"), &limits.extended);
        Some(ContainerSpec {
            name: f.name.clone(),
            image: ImageId(image as u32),
            image_pull_policy: f.image_pull_policy.unwrap_or_else(|| kubelet::default_pull_policy(&f.image)),
            cpu_request,
            memory_request,
            cpu_limit: limits.cpu,
            memory_limit: limits.memory,
            readiness_delay: SimDuration::from_secs(c.seconds(
                &format!("{p}.readinessProbe.initialDelaySeconds"),
                f.readiness_probe.as_ref().map_or(0, |p| p.initial_delay_seconds),
            )),
            exits_after: f.exits_after,
            sidecar,
            extended,
        })
    };
    let containers: Vec<ContainerSpec> = t
        .containers
        .iter()
        .enumerate()
        .filter_map(|(i, f)| container(c, format!("{tpath}.containers[{i}]"), f, false))
        .collect();
    let init_containers: Vec<ContainerSpec> = t
        .init_containers
        .iter()
        .enumerate()
        .filter_map(|(i, f)| container(c, format!("{tpath}.initContainers[{i}]"), f, true))
        .collect();
    let resources = pod_level_resources(c, tpath, t, &containers, &init_containers);
    let names: Vec<&str> = t.containers.iter().chain(&t.init_containers).map(|f| f.name.as_str()).collect();
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            c.problem(format!("{tpath}.containers"), format!("Duplicate value: {}", quoted(n)));
        }
    }
    for (i, tsc) in t.topology_spread_constraints.iter().enumerate() {
        let tp = format!("{tpath}.topologySpreadConstraints[{i}]");
        if tsc.max_skew < 1 {
            c.problem(format!("{tp}.maxSkew"), "maxSkew must be at least 1");
        }
        c.api_rule(&format!("{tp}.topologyKey"), &tsc.topology_key, kube_rules::qualified_name);
        c.labels(&format!("{tp}.labelSelector"), &tsc.label_selector);
    }
    c.labels(&format!("{tpath}.labels"), &t.labels);
    c.labels(&format!("{tpath}.nodeSelector"), &t.node_selector);
    for (i, tol) in t.tolerations.iter().enumerate() {
        for (field, message) in kube_rules::toleration(tol) {
            c.problem(format!("{tpath}.tolerations[{i}]{field}"), message);
        }
        if let Some(s) = tol.toleration_seconds {
            c.seconds(&format!("{tpath}.tolerations[{i}].tolerationSeconds"), s);
        }
    }
    if let Some(a) = &t.affinity {
        let terms = a
            .node_affinity
            .required
            .iter()
            .enumerate()
            .map(|(i, term)| (format!("requiredDuringSchedulingIgnoredDuringExecution[{i}]"), term))
            .chain(a.node_affinity.preferred.iter().enumerate().map(|(i, p)| {
                (format!("preferredDuringSchedulingIgnoredDuringExecution[{i}].preference"), &p.preference)
            }));
        for (at, term) in terms {
            for (k, r) in term.match_expressions.iter().enumerate() {
                if let Some((field, message)) = kube_rules::node_selector_requirement(r) {
                    c.problem(format!("{tpath}.affinity.nodeAffinity.{at}.matchExpressions[{k}]{field}"), message);
                }
            }
        }
    }
    for (i, p) in t.affinity.as_ref().map(|a| a.node_affinity.preferred.as_slice()).unwrap_or(&[]).iter().enumerate() {
        if !(1..=100).contains(&p.weight) {
            c.problem(
                format!("{tpath}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}].weight"),
                "a preference's weight is between 1 and 100",
            );
        }
    }
    // ValidatePodTemplateSpecForReplicaSet: a controller's pods restart always.
    if controlled && t.restart_policy != crate::model::kube::RestartPolicy::Always {
        c.problem(
            format!("{tpath}.restartPolicy"),
            format!("Unsupported value: {}: supported values: \"Always\"", quoted(&format!("{:?}", t.restart_policy))),
        );
    }
    let labels = if t.labels.is_empty() && controlled {
        [("app".to_string(), owner.to_string())].into_iter().collect()
    } else {
        t.labels.clone()
    };
    PodTemplate {
        labels,
        init_containers,
        containers,
        node_selector: t.node_selector.clone(),
        node_name: t.node_name.clone(),
        affinity: t.affinity.as_ref().map(|a| a.node_affinity.clone()).unwrap_or_default(),
        tolerations: t.tolerations.clone(),
        topology_spread_constraints: t.topology_spread_constraints.clone(),
        restart_policy: t.restart_policy,
        termination_grace: SimDuration::from_secs(c.seconds(
            &format!("{tpath}.terminationGracePeriodSeconds"),
            t.termination_grace_period_seconds.unwrap_or(30),
        )),
        resources,
    }
}

/// A pod's own resources (`spec.resources`), checked as
/// `validatePodResources` and `validatePodResourceConsistency` check them and
/// defaulted as `defaultPodRequests` defaults them: only CPU and memory; a
/// limit not below its request; a pod-level request not below what the
/// containers request together (`AggregateContainerRequests`); no app
/// container's limit above the pod's. A pod-level limit without a request requests what
/// the containers request together, or the limit when no container names
/// that resource.
fn pod_level_resources(
    c: &mut Checker,
    tpath: &str,
    t: &PodTemplateFile,
    containers: &[ContainerSpec],
    init_containers: &[ContainerSpec],
) -> crate::model::kube::PodResources {
    use crate::model::kube::{PodResources, SUPPORTED_POD_LEVEL_RESOURCES, pod_requests};
    let Some(f) = &t.resources else { return PodResources::default() };
    let requests = f.requests.clone().unwrap_or_default();
    let limits = f.limits.clone().unwrap_or_default();
    let supported = SUPPORTED_POD_LEVEL_RESOURCES.map(|r| format!("\"{r}\"")).join(", ");
    for (kind, list) in [("requests", &requests), ("limits", &limits)] {
        for name in list.extended.keys() {
            c.problem(
                format!("{tpath}.resources.{kind}[{name}]"),
                format!("Unsupported value: \"{name}\": supported values: {supported}"),
            );
        }
    }
    // What the containers request together, and whether any names the resource.
    let aggregate = |of: fn(&ContainerSpec) -> Option<u64>| {
        let named = containers.iter().chain(init_containers).any(|c| of(c).is_some());
        let app = containers.iter().map(|c| of(c).unwrap_or(0));
        let init = init_containers.iter().map(|c| (of(c).unwrap_or(0), c.sidecar));
        named.then(|| pod_requests(app, init))
    };
    let containers_cpu = aggregate(|c| c.cpu_request.map(|m| m.0));
    let containers_memory = aggregate(|c| c.memory_request.map(|b| b.0));
    let cpu_request = requests.cpu.or_else(|| limits.cpu.map(|l| containers_cpu.map_or(l, Millicores)));
    let memory_request = requests.memory.or_else(|| limits.memory.map(|l| containers_memory.map_or(l, Bytes)));
    if let (Some(l), Some(r)) = (limits.cpu, cpu_request)
        && l < r
    {
        c.problem(format!("{tpath}.resources.limits.cpu"), "the limit is below the request");
    }
    if let (Some(l), Some(r)) = (limits.memory, memory_request)
        && l < r
    {
        c.problem(format!("{tpath}.resources.limits.memory"), "the limit is below the request");
    }
    if let (Some(own), Some(sum)) = (requests.cpu, containers_cpu)
        && own.0 < sum
    {
        c.problem(
            format!("{tpath}.resources.requests.cpu"),
            format!(
                "Invalid value: \"{own}\": must be greater than or equal to aggregate container requests of {}",
                Millicores(sum)
            ),
        );
    }
    if let (Some(own), Some(sum)) = (requests.memory, containers_memory)
        && own.0 < sum
    {
        c.problem(
            format!("{tpath}.resources.requests.memory"),
            format!(
                "Invalid value: \"{own}\": must be greater than or equal to aggregate container requests of {}",
                Bytes(sum)
            ),
        );
    }
    // The app containers only, as upstream checks them.
    for (i, f) in t.containers.iter().enumerate() {
        let at = format!("containers[{i}]");
        let Some(own) = &f.resources.limits else { continue };
        if let (Some(l), Some(pod)) = (own.cpu, limits.cpu)
            && l > pod
        {
            c.problem(
                format!("{tpath}.{at}.resources.limits.cpu"),
                format!("Invalid value: \"{l}\": must be less than or equal to pod limits of {pod}"),
            );
        }
        if let (Some(l), Some(pod)) = (own.memory, limits.memory)
            && l > pod
        {
            c.problem(
                format!("{tpath}.{at}.resources.limits.memory"),
                format!("Invalid value: \"{l}\": must be less than or equal to pod limits of {pod}"),
            );
        }
    }
    PodResources { cpu_request, memory_request, cpu_limit: limits.cpu, memory_limit: limits.memory }
}

/// What a host of a world offers instances when it is empty: its CPU times
/// the world's `cpu_allocation_ratio`, less what a Kubernetes node's own
/// processes hold; its memory, less the same; its disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Offer {
    cpu: u64,
    memory: u64,
    disk: u64,
}

/// Whether some offer holds each need, for many needs at once: offers and
/// needs swept by CPU, largest first, with a Fenwick tree over memory ranks
/// keeping the most disk among the offers seen. O((offers + needs) log offers).
fn dominated(offers: &[Offer], needs: &[Offer]) -> Vec<bool> {
    let mut memories: Vec<u64> = offers.iter().map(|o| o.memory).collect();
    memories.sort_unstable();
    memories.dedup();
    // Rank from the largest memory down, so that "memory ≥ m" is a prefix.
    let rank = |m: u64| memories.len() - memories.partition_point(|&x| x < m);
    let mut tree: Vec<Option<u64>> = vec![None; memories.len() + 1];
    let mut by_cpu: Vec<&Offer> = offers.iter().collect();
    by_cpu.sort_unstable_by_key(|o| std::cmp::Reverse(o.cpu));
    let mut order: Vec<usize> = (0..needs.len()).collect();
    order.sort_unstable_by_key(|&k| std::cmp::Reverse(needs[k].cpu));
    let mut answer = vec![false; needs.len()];
    let mut next = 0;
    for k in order {
        let need = needs[k];
        while let Some(o) = by_cpu.get(next).filter(|o| o.cpu >= need.cpu) {
            // Offers with this memory or more sit at ranks 1..=r.
            let mut i = rank(o.memory);
            while i < tree.len() {
                tree[i] = Some(tree[i].map_or(o.disk, |d| d.max(o.disk)));
                i += i & i.wrapping_neg();
            }
            next += 1;
        }
        // The most disk among offers with memory ≥ the need's.
        let mut i = rank(need.memory);
        let mut best: Option<u64> = None;
        while i > 0 {
            if let Some(d) = tree[i] {
                best = Some(best.map_or(d, |b| b.max(d)));
            }
            i -= i & i.wrapping_neg();
        }
        answer[k] = best.is_some_and(|d| d >= need.disk);
    }
    answer
}

/// Every app must fit on at least one host of the world when that host is
/// empty; a Kubernetes node's own processes must fit on their host.
fn check_apps_fit(c: &mut Checker, world_path: &str, world: &WorldSpec, setup: &Setup) {
    let ratio = world.cpu_allocation_ratio;
    let (reserved_cpu, reserved_memory) = match &world.platform {
        Platform::Kubernetes(k) => {
            let (cpu, memory) = k.reserved();
            let vm = match &k.nodes {
                NodeSource::Hosts => 0,
                NodeSource::Vms(vm) => vm.guest_os_memory.0 + vm.hypervisor_overhead.0,
            };
            (cpu.0, memory.0.saturating_add(vm))
        }
        _ => (0, 0),
    };
    let mut offers: BTreeSet<Offer> = BTreeSet::new();
    let mut shown: BTreeMap<Offer, &HostSpec> = BTreeMap::new();
    let mut too_small: BTreeSet<&str> = BTreeSet::new();
    for (h, host) in setup.hosts.iter().enumerate() {
        if world.unused_hosts.binary_search(&HostId(h as u32)).is_ok() {
            continue;
        }
        let cpu = libm::floor(host.cpu.0 as f64 * ratio) as u64;
        let offer = Offer {
            cpu: cpu.saturating_sub(reserved_cpu),
            memory: host.memory.0.saturating_sub(reserved_memory),
            disk: host.disk.0,
        };
        if reserved_cpu > 0 && (reserved_cpu >= cpu || reserved_memory >= host.memory.0) {
            if too_small.insert(host.group.as_str()) {
                c.problem(
                    format!("{world_path}.platform.node_components"),
                    format!(
                        "the node's own processes hold {} CPU and {} memory, as much as or more than host group {} has \
                         ({} CPU{}, {} memory): no pod could run there",
                        Millicores(reserved_cpu),
                        Bytes(reserved_memory).binary(),
                        quoted(&host.group),
                        Millicores(cpu),
                        if ratio == 1.0 { String::new() } else { format!(" with cpu_allocation_ratio {ratio}") },
                        host.memory.binary()
                    ),
                );
            }
            continue;
        }
        offers.insert(offer);
        shown.entry(offer).or_insert(host);
    }
    let offers: Vec<Offer> = offers.into_iter().collect();
    let mut needs = Vec::new();
    let mut asking = Vec::new();
    for (i, app) in setup.apps.iter().enumerate() {
        if app.image.0 == u32::MAX {
            continue;
        }
        if matches!(world.platform, Platform::Vms(_)) && app.vm_image.is_none() {
            c.problem(
                format!("apps[{i}].vm_image"),
                format!(
                    "app {} runs as a VM in world {} ({}) and needs a vm_image",
                    quoted(&app.name),
                    quoted(&world.name),
                    world_path
                ),
            );
            continue;
        }
        let d = behaviours::demand(&world.platform, app, setup);
        // Each layer is at most 1 PiB and an image has at most 128.
        let blob_bytes: u64 = d.blobs.iter().map(|b| setup.blobs[b.index()].bytes.0).sum();
        needs.push(Offer { cpu: d.cpu.0, memory: d.memory.0, disk: d.disk.0.saturating_add(blob_bytes) });
        asking.push((i, app));
    }
    if offers.is_empty() {
        return;
    }
    let Some(largest) = offers.iter().max_by_key(|o| (o.memory, o.cpu)).copied() else { return };
    let host = shown.get(&largest).copied();
    for ((need, (i, app)), fits) in needs.iter().zip(asking).zip(dominated(&offers, &needs)) {
        if fits {
            continue;
        }
        let mut parts = Vec::new();
        if let Some(h) = host {
            let mut cpu = format!("{} CPU", Millicores(largest.cpu));
            if ratio != 1.0 || reserved_cpu > 0 {
                let mut how = format!("{} CPU", h.cpu);
                if ratio != 1.0 {
                    how.push_str(&format!(" × cpu_allocation_ratio {ratio}"));
                }
                if reserved_cpu > 0 {
                    how.push_str(&format!(" − {} for the node's own processes", Millicores(reserved_cpu)));
                }
                cpu = format!("{how} = {cpu}");
            }
            parts.push(cpu);
            let mut memory = format!("{} memory", Bytes(largest.memory).binary());
            if reserved_memory > 0 {
                memory = format!(
                    "{} − {} for the node's own processes = {memory}",
                    h.memory.binary(),
                    Bytes(reserved_memory).binary()
                );
            }
            parts.push(memory);
            parts.push(format!("{} disk", Bytes(largest.disk)));
        }
        c.problem(
            format!("apps[{i}]"),
            format!(
                "app {} needs {} CPU, {} memory and {} disk per instance in world {} ({} platform), \
                 more than any host offers (largest: {})",
                quoted(&app.name),
                Millicores(need.cpu),
                Bytes(need.memory).binary(),
                Bytes(need.disk),
                quoted(&world.name),
                world.platform.kind_name(),
                parts.join(", ")
            ),
        );
    }
}

/// What a lesson step points at, checked against the scenario's worlds,
/// hosts and charts.
fn lesson_focus(
    c: &mut Checker,
    path: &str,
    focus: &FocusFile,
    raw: &ScenarioFile,
    hosts: &[crate::model::spec::HostSpec],
) -> Option<LessonFocus> {
    let world = |c: &mut Checker, name: &str| {
        let found = raw.worlds.iter().position(|w| w.name == name);
        if found.is_none() {
            let known: Vec<String> = raw.worlds.iter().map(|w| quoted(&w.name)).collect();
            c.problem(path, format!("no world is named {}; known: {}", quoted(name), known.join(", ")));
        }
        found
    };
    match focus {
        FocusFile::World(name) => world(c, name).map(LessonFocus::World),
        FocusFile::Host(w, name) => {
            let w = world(c, w)?;
            // The hosts of the world: those of its host groups, or every one.
            let groups = raw.worlds[w].host_groups.as_deref();
            let of_world: Vec<(usize, &str)> = hosts
                .iter()
                .enumerate()
                .filter(|(_, h)| groups.is_none_or(|g| g.contains(&h.group)))
                .map(|(i, h)| (i, h.name.as_str()))
                .collect();
            match of_world.iter().find(|(_, h)| h == name) {
                Some(&(host, _)) => Some(LessonFocus::Host { world: w, host: HostId(host as u32) }),
                None => {
                    let known: Vec<&str> = of_world.iter().map(|(_, h)| *h).take(12).collect();
                    let world = quoted(&raw.worlds[w].name);
                    c.problem(
                        path,
                        format!("world {world} has no host named {}; known: {}", quoted(name), known.join(", ")),
                    );
                    None
                }
            }
        }
        FocusFile::Pod(w, name) => {
            let w = world(c, w)?;
            if name.trim().is_empty() {
                c.problem(path, "name the pods (or instances) by the start of their names");
                return None;
            }
            Some(LessonFocus::Pod { world: w, name: name.clone() })
        }
        FocusFile::Chart(chart) => {
            let traffic = !raw.services.is_empty() || raw.worlds.iter().any(|w| !w.services.is_empty());
            if chart.needs_traffic() && !traffic {
                c.problem(path, format!("the {chart:?} chart shows traffic, and this scenario has no services"));
                return None;
            }
            if *chart == LessonChart::Startup && traffic {
                c.problem(path, "the Startup chart shows in scenarios without traffic; this one has services");
                return None;
            }
            Some(LessonFocus::Chart(*chart))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominance_sweep_agrees_with_checking_every_host() {
        // A small linear congruential generator: the same cases every run.
        let mut x: u64 = 12345;
        let mut next = |n: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for _ in 0..200 {
            let offers: Vec<Offer> = (0..next(12))
                .map(|_| Offer { cpu: next(10), memory: next(10), disk: next(10) })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let needs: Vec<Offer> =
                (0..next(12)).map(|_| Offer { cpu: next(11), memory: next(11), disk: next(11) }).collect();
            let slow: Vec<bool> = needs
                .iter()
                .map(|n| offers.iter().any(|o| o.cpu >= n.cpu && o.memory >= n.memory && o.disk >= n.disk))
                .collect();
            assert_eq!(dominated(&offers, &needs), slow, "{offers:?} {needs:?}");
        }
    }
}
