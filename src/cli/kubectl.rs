//! `flotilla kubectl FILE --world W --at T get RESOURCE [NAME] -o yaml`: a
//! Kubernetes world run to a time, then its objects printed as `kubectl`
//! prints them (`report::kube_yaml`).

use std::path::Path;
use std::sync::Arc;

use crate::engine::{SimDuration, SimTime};
use crate::report::kube_yaml;
use crate::scenario::{LoadOptions, Scenario};
use crate::world::World;

use super::{INPUT_ERROR, OK};

/// The world named `world` (the only Kubernetes world when none is named), run to `at`.
pub fn world_at(scenario: &Scenario, world: Option<&str>, at: SimDuration) -> Result<World, String> {
    let kube: Vec<usize> = (0..scenario.worlds.len())
        .filter(|&i| matches!(scenario.worlds[i].platform, crate::model::spec::Platform::Kubernetes(_)))
        .collect();
    let index = match world {
        Some(name) => scenario.worlds.iter().position(|w| w.name == name).ok_or_else(|| {
            format!("no world is named {name:?}; the worlds are {}", scenario.world_names().join(", "))
        })?,
        None => match kube.as_slice() {
            [one] => *one,
            [] => return Err("the scenario has no Kubernetes world".to_string()),
            _ => return Err("the scenario has several Kubernetes worlds: name one with --world".to_string()),
        },
    };
    if at > scenario.setup.duration {
        return Err(format!("--at {at} is after the end of the scenario ({})", scenario.setup.duration));
    }
    let mut w = World::new(Arc::clone(&scenario.setup), Arc::clone(&scenario.worlds[index]));
    w.run_until(SimTime::ZERO + at);
    Ok(w)
}

/// Runs `get RESOURCE [NAME] -o yaml`; returns the exit code.
pub fn get(file: &Path, world: Option<&str>, at: &str, args: &[String], output: &str, options: LoadOptions) -> u8 {
    if output != "yaml" {
        eprintln!("error: -o {output}: Flotilla prints -o yaml");
        return INPUT_ERROR;
    }
    let (resource, name) = match args {
        [verb, resource] if verb == "get" => (resource.as_str(), None),
        [verb, resource, name] if verb == "get" => (resource.as_str(), Some(name.as_str())),
        _ => {
            eprintln!("error: expected `get RESOURCE [NAME]`, such as `get deploy web`");
            return INPUT_ERROR;
        }
    };
    // `kubectl get deploy/web` names the object the same way.
    let (resource, name) = match (resource.split_once('/'), name) {
        (Some((r, n)), None) => (r, Some(n)),
        _ => (resource, name),
    };
    let at = match SimDuration::parse(at) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: --at {at}: {e}");
            return INPUT_ERROR;
        }
    };
    let scenario = match Scenario::load_with(file, options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return INPUT_ERROR;
        }
    };
    let result = world_at(&scenario, world, at).and_then(|w| kube_yaml::get(&w, resource, name));
    match result {
        Ok(yaml) => {
            print!("{yaml}");
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            INPUT_ERROR
        }
    }
}
