//! `flotilla import k8s/ --out scenario.ron`: a scenario with one Kubernetes
//! world whose timeline applies the manifests' objects, written in
//! Flotilla's own RON for people who want to edit it.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::model::{Bytes, Millicores};
use crate::scenario::Scenario;
use crate::scenario::file::{
    ActionFile, AppFile, At, HostGroupFile, ImageFile, KubeObjectFile, KubernetesFile, PlatformFile, PodTemplateFile,
    ScenarioFile, WorldFile,
};
use crate::scenario::manifests::{self, Object};

use super::{INPUT_ERROR, OK};

/// kube-scheduler counts a container that requests nothing at 100m CPU and
/// 200 MiB (`DefaultMilliCPURequest`, `DefaultMemoryRequest`): the imported
/// app asks for that much when its Deployment's first container names none.
const DEFAULT_CPU: Millicores = Millicores(100);
const DEFAULT_MEMORY: Bytes = Bytes(200 << 20);

/// The scenario for the manifests at `path`, and the fields not simulated.
pub fn scenario_from(path: &Path) -> Result<(String, Vec<manifests::Ignored>), Vec<String>> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let files = crate::scenario::source_beside(dir);
    let mut budget = manifests::Budget::default();
    let read = manifests::read(&*files, &path.display().to_string(), &name, &mut budget);
    if !read.problems.is_empty() {
        return Err(read.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect());
    }
    let mut hosts = Vec::new();
    let mut images: BTreeMap<String, ()> = BTreeMap::new();
    let mut apps = Vec::new();
    let mut timeline = Vec::new();
    let mut problems = Vec::new();
    for m in &read.manifests {
        match &m.object {
            Object::Node(n) => {
                let (Some(cpu), Some(memory), max_pods) = n.capacity else {
                    problems.push(format!(
                        "{}:{}: {}: an import makes a host of each Node from its status.capacity (cpu and memory), which this one lacks",
                        m.origin.file,
                        m.origin.mark("").line,
                        m.origin.label()
                    ));
                    continue;
                };
                hosts.push(HostGroupFile {
                    name: n.name.clone(),
                    count: 1,
                    cpu,
                    memory,
                    disk: None,
                    nic: None,
                    power: None,
                    image_cache: None,
                    cached_images: Vec::new(),
                    zone: n.labels.get(crate::model::kube::LABEL_ZONE).cloned(),
                    labels: n.labels.clone(),
                    taints: n.taints.clone().unwrap_or_default(),
                    price_per_hour: None,
                    extended_resources: n.extended.clone(),
                    max_pods,
                });
            }
            Object::Deployment(d) => {
                workload(&d.name, &d.template, &mut images, &mut apps);
                timeline
                    .push(At(Default::default(), ActionFile::Apply(Box::new(KubeObjectFile::Deployment(d.clone())))));
            }
            Object::ReplicaSet(r) => {
                workload(&r.name, &r.template, &mut images, &mut apps);
                timeline
                    .push(At(Default::default(), ActionFile::Apply(Box::new(KubeObjectFile::ReplicaSet(r.clone())))));
            }
            Object::Pod(p) => {
                workload(&p.name, &p.template, &mut images, &mut apps);
                timeline.push(At(Default::default(), ActionFile::Apply(Box::new(KubeObjectFile::Pod(p.clone())))));
            }
            Object::Service(s) => {
                timeline.push(At(Default::default(), ActionFile::Apply(Box::new(KubeObjectFile::Service(s.clone())))))
            }
            Object::HorizontalPodAutoscaler { hpa, .. } => timeline.push(At(
                Default::default(),
                ActionFile::Apply(Box::new(KubeObjectFile::HorizontalPodAutoscaler(hpa.clone()))),
            )),
            Object::PodDisruptionBudget(b) => timeline.push(At(
                Default::default(),
                ActionFile::Apply(Box::new(KubeObjectFile::PodDisruptionBudget(b.clone()))),
            )),
            Object::Namespace | Object::NotSimulated => {}
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let no_nodes = hosts.is_empty();
    if no_nodes {
        // kubeadm's smallest control-plane node is 2 CPUs and 2 GB; three
        // 4-core, 16 GiB workers are a small cluster of the commonest shape.
        hosts.push(HostGroupFile {
            name: "node".into(),
            count: 3,
            cpu: Millicores(4000),
            memory: Bytes(16 << 30),
            disk: None,
            nic: None,
            power: None,
            image_cache: None,
            cached_images: Vec::new(),
            zone: None,
            labels: BTreeMap::new(),
            taints: Vec::new(),
            price_per_hour: None,
            extended_resources: BTreeMap::new(),
            max_pods: None,
        });
    }
    let raw = ScenarioFile {
        name: format!("Imported from {}", path.display()),
        description: None,
        seed: 1,
        duration: crate::engine::SimDuration::from_secs(600),
        registry: None,
        hosts,
        images: images
            .into_keys()
            .map(|name| ImageFile { name, base: None, layers: vec![Bytes(50_000_000)] })
            .collect(),
        vm_images: Vec::new(),
        apps,
        worlds: vec![WorldFile {
            name: "Cluster".into(),
            platform: PlatformFile::Kubernetes(Box::default()),
            placement: None,
            cpu_allocation_ratio: None,
            replace_failed_after: None,
            preloaded_images: Vec::new(),
            timeline,
            instance_price_per_hour: None,
            autoscaling: None,
            host_groups: None,
            services: Vec::new(),
        }],
        timeline: Vec::new(),
        services: Vec::new(),
        traffic: None,
        lesson: Vec::new(),
        expect: Vec::new(),
        budget: None,
    };
    let _: &KubernetesFile = match &raw.worlds[0].platform {
        PlatformFile::Kubernetes(k) => k,
        _ => unreachable!("the world is made Kubernetes above"),
    };
    let options = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME | ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES);
    let text = ron::ser::to_string_pretty(&raw, options).map_err(|e| vec![e.to_string()])?;
    // Fields left at their defaults are left out, so that the file reads like a written one.
    let text: String = text
        .lines()
        .filter(|l| {
            let t = l.trim();
            !(t.ends_with(": None,") || t.ends_with(": [],") || t.ends_with(": {},"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let header = format!(
        "// Imported by `flotilla import` from {}: the manifests' Deployments, Services and\n\
         // HorizontalPodAutoscalers, applied at 0 s in one Kubernetes world.\n\
         // Manifests do not give what the simulation also needs; set these:\n\
         // - images: each layer's compressed size (`docker manifest inspect` shows them); 50MB each here;\n\
         // - apps: one per Deployment, its first container's requests (100m and 200Mi where none);\n\
         //   a service under load names one (services: [Service(app: …)]);\n\
         // - hosts: {}\n",
        path.display(),
        if no_nodes {
            "the manifests name no Node, so three 4-core, 16 GiB nodes"
        } else {
            "one per Node manifest, from its status.capacity"
        }
    );
    Ok((format!("{header}{text}"), read.ignored))
}

/// Runs the import; returns the exit code.
pub fn import(path: &Path, out: &Path, all_fields: bool) -> u8 {
    if let Some(input) = input_at(path, out) {
        eprintln!(
            "error: --out {}: this is {}, one of the manifests read; write the scenario to a file of its own",
            out.display(),
            input.display()
        );
        return INPUT_ERROR;
    }
    let (text, ignored) = match scenario_from(path) {
        Ok(t) => t,
        Err(problems) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            return INPUT_ERROR;
        }
    };
    // What is written must load: checked before it is.
    if let Err(e) = Scenario::parse(&text, &format!("the scenario made from {}", path.display())) {
        eprintln!("error: nothing was written to {}, since {e}", out.display());
        eprintln!("(its hosts[N] is the host group made from the N-th Node manifest, from 0)");
        return INPUT_ERROR;
    }
    if let Err(e) = write_whole(out, &text) {
        eprintln!("error: {}: {e}", out.display());
        return INPUT_ERROR;
    }
    println!("wrote {} ({} fields not simulated)", out.display(), ignored.len());
    for line in super::not_simulated(&ignored, all_fields) {
        println!("  {line}");
    }
    OK
}

/// The manifest file among those `path` stands for that `out` names too,
/// however spelt (compared as canonical paths); `None` when `out` does not
/// exist yet, since then it is no input.
fn input_at(path: &Path, out: &Path) -> Option<PathBuf> {
    let out = std::fs::canonicalize(out).ok()?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let name = path.file_name()?.to_string_lossy().into_owned();
    let names = crate::scenario::source_beside(dir).manifest_files(&name).ok()?;
    names.iter().map(|n| dir.join(n)).find(|input| std::fs::canonicalize(input).is_ok_and(|real| real == out))
}

/// Writes `text` to `out` whole or not at all: into a new file in the same
/// folder, renamed over `out` once written, and removed if anything fails,
/// so that a failed import leaves no file, nor half of one. A link is
/// followed, and only a regular file is replaced: a pipe, a device or a
/// folder is refused.
fn write_whole(out: &Path, text: &str) -> std::io::Result<()> {
    let resolved;
    let out = match std::fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(out)
                .map_err(|e| std::io::Error::other(format!("this is a link to nothing that can be written ({e})")))?;
            &resolved
        }
        _ => out,
    };
    match std::fs::metadata(out) {
        Ok(m) if !m.is_file() => {
            let what = if m.is_dir() { "a folder" } else { "not a regular file (a pipe, a device or a socket)" };
            return Err(std::io::Error::other(format!("this is {what}; the scenario goes to a file of its own")));
        }
        _ => {}
    }
    let name = out.file_name().ok_or_else(|| std::io::Error::other("this names a folder, not a file"))?;
    let temporary = out.with_file_name(format!(".{}.{}.partial", name.to_string_lossy(), std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, out));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The images of a pod template, and an app of the object's name for the
/// scenario's catalogue (once per name): its first container's image and requests.
fn workload(name: &str, template: &PodTemplateFile, images: &mut BTreeMap<String, ()>, apps: &mut Vec<AppFile>) {
    for c in template.containers.iter().chain(&template.init_containers) {
        images.insert(c.image.clone(), ());
    }
    // Reading refuses a pod template without containers (`spec.template.spec.containers`).
    let Some(first) = template.containers.first() else { return };
    if apps.iter().any(|a| a.name == name) {
        return;
    }
    let requests = first.resources.requests.clone().unwrap_or_default();
    apps.push(AppFile {
        name: name.to_string(),
        image: first.image.clone(),
        vm_image: None,
        cpu: requests.cpu.filter(|c| c.0 > 0).unwrap_or(DEFAULT_CPU),
        memory: requests.memory.filter(|b| b.0 > 0).unwrap_or(DEFAULT_MEMORY),
        disk: None,
    });
}
