//! The `flotilla` command as a user runs it: exit codes, tables, JSON, JUnit
//! and report files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn flotilla(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the flotilla binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SMALL: &str = r#"// A small scenario for the command-line tests.
Scenario(
    name: "small",
    seed: 1,
    duration: "1m",
    hosts: [HostGroup(name: "h", count: 2, cpu: "8", memory: "32Gi")],
    images: [Image(name: "app:1", layers: ["10MB"])],
    apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
    worlds: [World(name: "Containers", platform: Containers())],
    timeline: [At("0s", Launch(app: "app", count: 3))],
    expect: [EXPECT],
)
"#;

fn small(dir: &Path, expect: &str) -> PathBuf {
    let path = dir.join("small.ron");
    std::fs::write(&path, SMALL.replace("EXPECT", expect)).unwrap();
    path
}

#[test]
fn check_on_the_shipped_scenarios_passes_with_exit_code_0() {
    let o = flotilla(&["check", "scenarios/"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("startup.p95"), "{out}");
    assert!(out.contains("PASS"));
    assert!(!out.contains("FAIL"));
    assert!(out.lines().last().unwrap().ends_with(" 0 failed"), "{out}");
}

#[test]
fn a_failed_expectation_gives_exit_code_1_and_both_sides() {
    let dir = scratch("check-fail");
    let file = small(&dir, r#""Containers.instances.running == 4""#);
    let o = flotilla(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAIL  Containers.instances.running == 4    left = 3, right = 4"), "{}", stdout(&o));
}

#[test]
fn input_errors_give_exit_code_2_with_file_line_and_column() {
    let o = flotilla(&["check", "tests/malformed/missing-comma.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("tests/malformed/missing-comma.ron:4:5:"), "{}", stderr(&o));
    let o = flotilla(&["check", "no/such/file.ron"]);
    assert_eq!(o.status.code(), Some(2));
    let o = flotilla(&["validate", "tests/malformed/unknown-names.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("apps[0].image"), "{}", stderr(&o));
}

#[test]
fn validate_accepts_the_shipped_scenarios() {
    let o = flotilla(&["validate", "scenarios"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A scenario's line, then the manifest fields it does not simulate, indented.
    assert!(stdout(&o).lines().all(|l| l.starts_with("ok  ") || l.starts_with("    ")), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(
            "    small-shop/k8s/web.yaml:52:9: document 1, Deployment \"web\": \
             spec.template.spec.containers[0].livenessProbe: not simulated: containers here never fail a probe"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn validate_lists_a_field_many_objects_set_once_with_how_many_more() {
    // Forty Deployments written as teams write them: each sets ports, env and probes.
    let dir = scratch("many-manifests");
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    let deployment = |n: usize| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{n}\nspec:\n  replicas: 1\n  \
             selector:\n    matchLabels:\n      app: web-{n}\n  template:\n    metadata:\n      labels:\n        \
             app: web-{n}\n    spec:\n      containers:\n      - name: web\n        image: app:1\n        \
             ports:\n        - containerPort: 8080\n        env:\n        - name: MODE\n          value: shop\n"
        )
    };
    let docs: Vec<String> = (0..40).map(deployment).collect();
    std::fs::write(dir.join("k8s/apps.yaml"), docs.join("---\n")).unwrap();
    let scenario = SMALL
        .replace(r#"platform: Containers()"#, r#"platform: Kubernetes(manifests: ["k8s/"])"#)
        .replace(r#"timeline: [At("0s", Launch(app: "app", count: 3))],"#, "")
        .replace("    expect: [EXPECT],\n", "");
    let file = dir.join("many.ron");
    std::fs::write(&file, scenario).unwrap();
    let o = flotilla(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("    80 manifest fields not simulated:\n"), "{out}");
    let listed: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(listed.len(), 4, "{out}");
    assert!(listed[0].starts_with(
        "    k8s/apps.yaml:18:9: document 1, Deployment \"web-0\": spec.template.spec.containers[0].ports:"
    ));
    assert_eq!(
        listed[1],
        "      … and 39 more of spec.template.spec.containers[*].ports, the last at \
         k8s/apps.yaml:915:9: document 40, Deployment \"web-39\" (--all-fields lists them)"
    );
    let o = flotilla(&["validate", "--all-fields", file.to_str().unwrap()]);
    assert_eq!(stdout(&o).lines().count(), 82, "{}", stdout(&o));
}

#[test]
fn kubectl_prints_a_simulated_deployment_as_yaml() {
    let args = ["kubectl", "scenarios/small-shop.ron", "--world", "Spread", "--at", "12m", "get", "deploy", "api"];
    // The shop's manifests put it in namespace shop, not default.
    let o = flotilla(&[&args[..], &["-o", "yaml"]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("deployments.apps \"api\" not found"), "{}", stderr(&o));
    let o = flotilla(&[&args[..], &["-n", "shop", "-o", "yaml"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let yaml = stdout(&o);
    assert!(yaml.starts_with("apiVersion: apps/v1\nkind: Deployment\n"), "{yaml}");
    assert!(yaml.contains("\n  namespace: shop\n"), "{yaml}");
    // The HPA has scaled the API above the manifest's 3 replicas by 12:00.
    let desired: u32 = yaml
        .lines()
        .find_map(|l| l.strip_prefix("  replicas: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("spec.replicas in {yaml}"));
    assert!(desired > 3, "{yaml}");
    assert!(yaml.contains("\n    type: Available\n") || yaml.contains("type: Available"), "{yaml}");
    let o = flotilla(&["kubectl", "scenarios/small-shop.ron", "--world", "Spread", "get", "deploy", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("deployments.apps \"nope\" not found"), "{}", stderr(&o));
}

#[test]
fn import_writes_a_scenario_that_loads_and_runs() {
    let dir = scratch("import");
    let out = dir.join("shop.ron");
    let o = flotilla(&["import", "scenarios/small-shop/k8s", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("fields not simulated"), "{}", stdout(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    // The Node manifest's capacity makes the host; the Deployments become Apply entries.
    assert!(text.contains("name: \"pool\""), "{text}");
    assert!(text.contains("Apply(Deployment("), "{text}");
    let o = flotilla(&["check", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn import_gives_each_node_the_pods_its_capacity_declares() {
    // A node of 5 pods at most (status.capacity.pods) and 20 replicas
    // of 10m, which its 4 cores would hold 20 times over: 5 run.
    let dir = scratch("import-node-pods");
    let k8s = dir.join("k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    std::fs::write(
        k8s.join("node.yaml"),
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  capacity:\n    cpu: '4'\n    memory: 16Gi\n    pods: '5'\n",
    )
    .unwrap();
    std::fs::write(
        k8s.join("web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 20\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        resources:\n          requests:\n            cpu: 10m\n            memory: 10Mi\n",
    )
    .unwrap();
    let out = dir.join("s.ron");
    let o = flotilla(&["import", k8s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("max_pods: 5"), "{text}");
    let o = flotilla(&["kubectl", out.to_str().unwrap(), "get", "deploy"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("web    5/20"), "{}", stdout(&o));
}

#[test]
fn import_refuses_to_write_over_a_manifest_it_reads() {
    let dir = scratch("import-over-input");
    let k8s = dir.join("k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    let manifest = k8s.join("web.yaml");
    std::fs::copy("scenarios/small-shop/k8s/web.yaml", &manifest).unwrap();
    let before = std::fs::read_to_string(&manifest).unwrap();
    let file = manifest.to_str().unwrap();
    // The same file however it is spelt, read alone or as one of a folder's.
    let respelt = k8s.join("../k8s/web.yaml");
    for (input, out) in [(file, file), (k8s.to_str().unwrap(), respelt.to_str().unwrap())] {
        let o = flotilla(&["import", input, "--out", out]);
        assert_eq!(o.status.code(), Some(2), "{input} --out {out}: {}", stdout(&o));
        assert!(stderr(&o).contains("one of the manifests read"), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&manifest).unwrap(), before);
    }
}

#[test]
fn a_failed_import_leaves_no_file_behind() {
    let dir = scratch("import-failed");
    // A folder where the scenario should go: the write fails, and nothing is left beside it.
    std::fs::create_dir_all(dir.join("shop.ron")).unwrap();
    let out = dir.join("shop.ron");
    let o = flotilla(&["import", "scenarios/small-shop/k8s", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, vec!["shop.ron"]);
}

#[cfg(unix)]
#[test]
fn import_writes_through_a_link_and_replaces_no_pipe() {
    let dir = scratch("import-special");
    // A named pipe where the scenario should go: refused, and the pipe stays a pipe.
    let pipe = dir.join("pipe.ron");
    assert!(Command::new("mkfifo").arg(&pipe).status().expect("mkfifo runs").success());
    let o = flotilla(&["import", "scenarios/small-shop/k8s", "--out", pipe.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&pipe).unwrap().file_type().is_fifo());
    // A link to a file: the file it points at gets the scenario, and the link stays a link.
    let target = dir.join("target.ron");
    std::fs::write(&target, "old").unwrap();
    let link = dir.join("link.ron");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = flotilla(&["import", "scenarios/small-shop/k8s", "--out", link.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&target).unwrap().contains("Scenario("));
}

#[cfg(unix)]
#[test]
fn a_named_pipe_among_a_folders_scenarios_is_reported_not_waited_on() {
    let dir = scratch("validate-named-pipe");
    small(&dir, r#""Containers.instances.running == 3""#);
    let status = Command::new("mkfifo").arg(dir.join("pipe.ron")).status().expect("mkfifo runs");
    assert!(status.success());
    let o = flotilla(&["validate", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("small.ron"), "{}", stdout(&o));
    assert!(stderr(&o).contains("pipe.ron: it is a named pipe; only regular files are read"), "{}", stderr(&o));
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = scratch("check-json");
    let file = small(&dir, r#""Containers.instances.running == 3""#);
    let o = flotilla(&["check", "--json", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("stdout is JSON");
    let s = &v.as_array().unwrap()[0];
    assert_eq!(s["scenario"], "small");
    assert_eq!(s["seed"], 1);
    assert!(s["file"].as_str().unwrap().ends_with("small.ron"));
    assert_eq!(s["worlds"]["Containers"]["instances.running"], 3.0);
    let e = &s["expectations"][0];
    assert_eq!(e["text"], "Containers.instances.running == 3");
    assert_eq!(e["passed"], true);
    assert_eq!(e["left"], 3.0);
    assert_eq!(e["right"], 3.0);
}

#[test]
fn junit_has_a_suite_per_scenario_and_a_case_per_expectation() {
    let dir = scratch("check-junit");
    let file = small(&dir, r#""Containers.instances.running == 3", "Containers.instances.pending > 0""#);
    let junit = dir.join("out.xml");
    let o = flotilla(&["check", "--junit", junit.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let xml = std::fs::read_to_string(junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 1);
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert!(xml.contains("tests=\"2\" failures=\"1\""));
}

#[test]
fn report_writes_summary_events_and_a_csv_per_world() {
    let dir = scratch("report");
    let out = dir.join("out");
    let o = flotilla(&["report", "scenarios/cold-start.ron", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["worlds"].as_object().unwrap().len(), 5);
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let mut last_time = std::collections::BTreeMap::new();
    for line in events.lines() {
        let e: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        let (world, t) = (e["world"].as_str().unwrap().to_string(), e["t_us"].as_u64().unwrap());
        let previous = last_time.insert(world, t).unwrap_or(0);
        assert!(t >= previous, "time went back in {line}");
    }
    for world in ["VMs", "Containers", "MicroVMs", "Kubernetes", "KubernetesOnVms"] {
        let csv = std::fs::read_to_string(out.join(format!("{world}.csv"))).unwrap();
        assert!(csv.starts_with("time_s,running,pending,memory_gib:rack-a-1"), "{csv}");
        assert!(csv.lines().count() >= 3, "{csv}");
        assert!(!out.join(format!("{world}-traffic.csv")).exists(), "cold-start has no traffic");
    }
}

#[test]
fn report_writes_a_traffic_series_per_world_when_there_is_traffic() {
    let dir = scratch("report-traffic");
    let out = dir.join("out");
    let o = flotilla(&["report", "scenarios/autoscaling-spike.ron", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for world in ["VmGroup", "HpaAndCa", "HpaSpareNodes"] {
        let csv = std::fs::read_to_string(out.join(format!("{world}-traffic.csv"))).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("time_s,offered_rps,replicas,nodes,p95_s,dropped,energy_kwh"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        // 30 minutes sampled at the first event after each second.
        assert!(rows.len() >= 1790, "{} rows", rows.len());
        let offered: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
        // The spike goes from 100 to 600 requests a second.
        assert_eq!(offered.iter().cloned().fold(f64::MIN, f64::max), 600.0, "{world}");
        let dropped: u64 = rows.iter().map(|r| r[5].parse::<u64>().unwrap()).sum();
        assert!(dropped > 0, "{world}: the spike drops requests");
        let energy: Vec<f64> = rows.iter().map(|r| r[6].parse().unwrap()).collect();
        assert!(energy.windows(2).all(|w| w[0] <= w[1]), "{world}: energy never falls");
    }
}

#[test]
fn two_reports_of_one_scenario_have_identical_event_logs() {
    let dir = scratch("report-twice");
    for run in ["a", "b"] {
        let o = flotilla(&["report", "scenarios/warm-cache.ron", "--out", dir.join(run).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0));
    }
    let a = std::fs::read(dir.join("a/events.jsonl")).unwrap();
    let b = std::fs::read(dir.join("b/events.jsonl")).unwrap();
    assert!(!a.is_empty());
    assert!(a == b);
}

#[test]
fn report_into_a_file_says_it_needs_a_directory() {
    let dir = scratch("report-into-a-file");
    let file = small(&dir, "\"Containers.instances.running == 3\"");
    let out = dir.join("out");
    std::fs::write(&out, "not a directory").unwrap();
    let o = flotilla(&["report", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("there is a file of that name; report writes its files into a directory"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "not a directory", "the file is left alone");
}

#[test]
fn the_budget_flag_overrides_the_default_and_validate_shows_the_estimate() {
    let dir = scratch("budget-flag");
    let file = small(&dir, "\"Containers.instances.running == 3\"");
    let o = flotilla(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("of a budget of 1.0e8 and 2Gi"), "{}", stdout(&o));
    // A budget too small for even this run refuses it, naming the flag.
    let o = flotilla(&["check", "--budget", "events=10", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("more than the budget of 10"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--budget events="), "{}", stderr(&o));
    let o = flotilla(&["check", "--budget", "time=1h", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("\"time\" is not part of a budget"), "{}", stderr(&o));
    // A part given twice is refused rather than the last taken.
    let o = flotilla(&["validate", "--budget", "events=1e9,events=10", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'events=1e9,events=10' for '--budget"), "{}", stderr(&o));
    assert!(stderr(&o).contains("events is given twice; give it once"), "{}", stderr(&o));
}

#[test]
fn digest_prints_the_hash_of_the_event_log_that_report_writes() {
    let dir = scratch("digest");
    let o = flotilla(&["report", "scenarios/warm-cache.ron", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events = std::fs::read(dir.join("events.jsonl")).unwrap();
    let expected = flotilla::report::digest(std::str::from_utf8(&events).unwrap());
    let o = flotilla(&["digest", "scenarios/warm-cache.ron", "scenarios/cold-start.ron"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        lines[0],
        [expected.as_str(), &events.iter().filter(|&&b| b == b'\n').count().to_string(), "scenarios/warm-cache.ron"]
    );
    assert_ne!(lines[1][0], lines[0][0], "two scenarios, two digests");
    let o = flotilla(&["digest", "scenarios/no-such-file.ron"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn kubectl_prints_like_kubectl_and_says_what_is_wrong_with_exit_code_2() {
    let o = flotilla(&[
        "kubectl",
        "scenarios/rolling-update.ron",
        "--world",
        "Default",
        "--at",
        "1m15s",
        "get",
        "pods",
        "-o",
        "wide",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("NAME "), "{}", stdout(&o));
    assert!(stdout(&o).lines().next().unwrap().ends_with("NOMINATED NODE   READINESS GATES"));
    // Several Kubernetes worlds: one must be named.
    let o = flotilla(&["kubectl", "scenarios/rolling-update.ron", "get", "pods"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Default, NoDip, Fast, Recreate"), "{}", stderr(&o));
    let o = flotilla(&["kubectl", "scenarios/node-failure.ron", "--world", "Nope", "get", "pods"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no world named \"Nope\""), "{}", stderr(&o));
    let o = flotilla(&["kubectl", "scenarios/node-failure.ron", "--world", "VMs", "get", "pods"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not Kubernetes"), "{}", stderr(&o));
    let o = flotilla(&[
        "kubectl",
        "scenarios/node-failure.ron",
        "--world",
        "Defaults",
        "--at",
        "1m",
        "describe",
        "pod",
        "web-x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "Error from server (NotFound): pods \"web-x\" not found\n");
    let o = flotilla(&["kubectl", "scenarios/node-failure.ron", "--world", "Defaults", "--at", "soon", "get", "pods"]);
    assert_eq!(o.status.code(), Some(2));
    // The only VMs world is found without --world; a host that is down answers nothing.
    let o = flotilla(&["virsh", "scenarios/node-failure.ron", "--host", "node-2", "--at", "2m", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("failed to connect to the hypervisor"), "{}", stderr(&o));
    let o = flotilla(&["docker", "scenarios/cold-start.ron", "--host", "rack-a-9", "--at", "20s", "ps"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no host named \"rack-a-9\""), "{}", stderr(&o));
}

#[test]
fn report_writes_a_self_contained_html_page() {
    let dir = scratch("report-html");
    let file = small(&dir, r#""Containers.instances.running == 3""#);
    let out = dir.join("out");
    let o = flotilla(&["report", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("report.html"), "{}", stdout(&o));
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("<svg ") && !page.contains("<script") && !page.contains("http"));
}
