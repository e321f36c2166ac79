//! The malformed catalogue: every scenario under `tests/malformed/` must be
//! refused with exactly the message in the `.err` file beside it, quickly and
//! in little memory. Cases too large or too strange to keep as files — a
//! 10 MB name, 100,000 hosts, a load trace that is a named pipe or a link to
//! `/dev/zero` — are made by this test, their messages in
//! `tests/malformed/made/`. Run with `FLOTILLA_BLESS=1` to rewrite the `.err`
//! files after a deliberate change of wording, then read the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flotilla::scenario::Scenario;

/// Far above what a release build takes (a few milliseconds); a debug build
/// on a busy CI machine stays well under it unless something is quadratic.
const MAX_TIME: Duration = Duration::from_secs(2);
/// Memory a refusal may take beyond the file's own text.
const MAX_MEMORY_BYTES: u64 = 50 << 20;

fn catalogue() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed")
}

/// A kibibyte figure from `/proc/self/status`.
#[cfg(target_os = "linux")]
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `f` and returns what it returned, how long it took, and how much the
/// process's peak resident memory rose above its memory before (Linux: the
/// peak is reset through `/proc/self/clear_refs` first).
#[allow(clippy::disallowed_methods, reason = "the catalogue times each refusal in wall time")]
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<u64>) {
    #[cfg(target_os = "linux")]
    let before = {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        status_kib("VmRSS:")
    };
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    #[cfg(target_os = "linux")]
    let rose = before.zip(status_kib("VmHWM:")).map(|(b, p)| p.saturating_sub(b) * 1024);
    #[cfg(not(target_os = "linux"))]
    let rose = None;
    (out, took, rose)
}

/// One case: its name in messages, how to load it, and where its expected message is.
struct Case {
    name: String,
    expected: PathBuf,
    load: Box<dyn FnOnce() -> Result<Scenario, flotilla::scenario::ScenarioError>>,
}

fn static_cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(catalogue())
        .expect("tests/malformed exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "expected the whole catalogue, found {} files", files.len());
    files
        .into_iter()
        .map(|file| {
            let name = format!("tests/malformed/{}", file.file_name().unwrap().to_string_lossy());
            let bytes = std::fs::read(&file).unwrap();
            let shown = name.clone();
            Case {
                name,
                expected: file.with_extension("err"),
                load: Box::new(move || Scenario::parse_bytes(&bytes, &shown)),
            }
        })
        .collect()
}

/// A scenario around the parts given, as the cases below need it.
fn scenario(hosts: &str, images: &str, apps: &str, worlds: &str, timeline: &str) -> String {
    format!(
        "Scenario(name: \"x\", duration: \"1m\",\n hosts: [{hosts}],\n images: [{images}],\n apps: [{apps}],\n \
         worlds: [{worlds}],\n timeline: [{timeline}])\n"
    )
}

const IMAGE: &str = "Image(name: \"app:1\", layers: [\"10MB\"])";
const APP: &str = "App(name: \"app\", image: \"app:1\", cpu: \"1\", memory: \"1Gi\")";
const HOST: &str = "HostGroup(name: \"h\", cpu: \"8\", memory: \"32Gi\")";
const CONTAINERS: &str = "World(name: \"C\", platform: Containers())";
const LAUNCH: &str = "At(\"0s\", Launch(app: \"app\", count: 1))";

/// Cases made as text: too large to keep in the repository.
fn made_cases() -> Vec<Case> {
    let mut made: Vec<(&str, String)> = Vec::new();
    // A chain of 10,000 images, each on the one before: resolved once each, not in cubic time.
    let chain: Vec<String> = (0..10_000)
        .map(|k| match k {
            0 => "Image(name: \"i0\", layers: [\"1MB\"])".to_string(),
            _ => format!("Image(name: \"i{k}\", base: \"i{}\", layers: [\"1MB\"])", k - 1),
        })
        .collect();
    made.push((
        "image-chain",
        scenario(HOST, &chain.join(", "), APP.replace("app:1", "i9999").as_str(), CONTAINERS, LAUNCH),
    ));
    // The same chain closed into a cycle, without layers: named once, abbreviated.
    let cycle: Vec<String> = (0..10_000)
        .map(|k| format!("Image(name: \"i{k}\", base: \"i{}\", layers: [])", (k + 9_999) % 10_000))
        .collect();
    made.push(("image-cycle", scenario(HOST, &format!("{IMAGE}, {}", cycle.join(", ")), APP, CONTAINERS, LAUNCH)));
    // 10,000 apps that fit on none of 100,000 hosts: one sweep, not 10^9 comparisons; 50 problems shown.
    let apps: Vec<String> =
        (0..10_000).map(|k| format!("App(name: \"a{k}\", image: \"app:1\", cpu: \"16\", memory: \"1Gi\")")).collect();
    made.push((
        "apps-that-fit-nowhere",
        scenario(
            "HostGroup(name: \"h\", count: 100000, cpu: \"8\", memory: \"32Gi\")",
            IMAGE,
            &apps.join(", "),
            CONTAINERS,
            "At(\"0s\", Launch(app: \"a0\", count: 1))",
        ),
    ));
    // 100,000 hosts each caching 20 images of 100 layers: weighed before any host is made.
    let layers = vec!["\"1MB\""; 100].join(", ");
    let images: Vec<String> = (0..20).map(|k| format!("Image(name: \"i{k}\", layers: [{layers}])")).collect();
    let cached: Vec<String> = (0..20).map(|k| format!("\"i{k}\"")).collect();
    made.push((
        "cached-images-on-every-host",
        scenario(
            &format!(
                "HostGroup(name: \"h\", count: 100000, cpu: \"8\", memory: \"32Gi\", disk: \"1000Ti\", cached_images: [{}])",
                cached.join(", ")
            ),
            &images.join(", "),
            &APP.replace("app:1", "i0"),
            CONTAINERS,
            LAUNCH,
        ),
    ));
    // A label map of 200,000 entries, which every one of 100,000 hosts would copy.
    let labels: Vec<String> = (0..200_000).map(|k| format!("\"k{k}\": \"v\"")).collect();
    made.push((
        "labels-on-every-host",
        scenario(
            &format!(
                "HostGroup(name: \"h\", count: 100000, cpu: \"8\", memory: \"32Gi\", labels: {{{}}})",
                labels.join(", ")
            ),
            IMAGE,
            APP,
            CONTAINERS,
            "",
        ),
    ));
    // Replacements at once for 1,000 instances on a host that fails 3,000 times.
    let failures: Vec<String> =
        (0..3_000).map(|k| format!("At(\"{k}s\", FailHost(\"h-1\")), At(\"{k}.5s\", RecoverHost(\"h-1\"))")).collect();
    made.push((
        "replacements-at-once",
        scenario(
            "HostGroup(name: \"h\", cpu: \"64\", memory: \"256Gi\")",
            IMAGE,
            "App(name: \"app\", image: \"app:1\", cpu: \"10m\", memory: \"10Mi\")",
            "World(name: \"C\", platform: Containers(), replace_failed_after: \"0s\")",
            &format!("At(\"0s\", Launch(app: \"app\", count: 1000)), {}", failures.join(", ")),
        )
        .replace("duration: \"1m\"", "duration: \"1h\""),
    ));
    // A 3.4 MB file of 60,000 broken apps: 50 problems listed, the rest counted.
    let broken: Vec<String> =
        (0..60_000).map(|k| format!("App(name: \"a{k}\", image: \"nope\", cpu: \"0\", memory: \"0\")")).collect();
    made.push(("many-problems", scenario(HOST, IMAGE, &broken.join(", "), CONTAINERS, "")));
    // A 10 MB image name: quoted as an excerpt.
    made.push((
        "ten-megabyte-name",
        scenario(HOST, IMAGE, &APP.replace("app:1", &"x".repeat(10_000_000)), CONTAINERS, LAUNCH),
    ));
    // The same name where a syntax error is: the line is shown as a window around the column.
    made.push((
        "ten-megabyte-line",
        scenario(
            HOST,
            IMAGE,
            &format!("App(name: \"{}\", image: \"app:1\", cpu: \"1\", memroy: \"1Gi\")", "x".repeat(10_000_000)),
            CONTAINERS,
            LAUNCH,
        ),
    ));
    made.into_iter()
        .map(|(name, text)| {
            let shown = format!("tests/malformed/made/{name}.ron");
            Case {
                name: shown.clone(),
                expected: catalogue().join("made").join(format!("{name}.err")),
                load: Box::new(move || Scenario::parse(&text, &shown)),
            }
        })
        .collect()
}

/// A scenario with a load trace, to put in a folder with the trace.
fn with_trace(file: &str) -> String {
    scenario(HOST, IMAGE, APP, CONTAINERS, LAUNCH).replace(
        "timeline:",
        &format!("services: [Service(name: \"s\", app: \"app\", load: Trace(file: \"{file}\"), cost: Constant(\"10ms\"))],\n timeline:"),
    )
}

/// Cases with a side file, made in a folder of their own: a named pipe, links
/// that lead outside the folder, a trace with a long bad line.
#[cfg(unix)]
fn side_file_cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: &str, make: &dyn Fn(&Path)| {
        let folder = dir.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        make(&folder);
        let file = folder.join(format!("{name}.ron"));
        let shown = format!("tests/malformed/made/{name}.ron");
        let prefix = file.display().to_string();
        cases.push(Case {
            name: shown.clone(),
            expected: catalogue().join("made").join(format!("{name}.err")),
            load: Box::new(move || {
                Scenario::load(&file).map_err(|e| match e {
                    flotilla::scenario::ScenarioError::Invalid { problems, more, .. } => {
                        flotilla::scenario::ScenarioError::Invalid { file: shown.clone(), problems, more }
                    }
                    other => panic!("{prefix}: expected problems, got {other}"),
                })
            }),
        });
    };
    add("trace-named-pipe", &|f| {
        std::fs::write(f.join("trace-named-pipe.ron"), with_trace("calls.csv")).unwrap();
        let status = std::process::Command::new("mkfifo").arg(f.join("calls.csv")).status().expect("mkfifo runs");
        assert!(status.success());
    });
    add("trace-link-to-dev-zero", &|f| {
        std::fs::write(f.join("trace-link-to-dev-zero.ron"), with_trace("calls.csv")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", f.join("calls.csv")).unwrap();
    });
    add("trace-link-to-passwd", &|f| {
        std::fs::write(f.join("trace-link-to-passwd.ron"), with_trace("calls.csv")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", f.join("calls.csv")).unwrap();
    });
    add("trace-outside-the-folder", &|f| {
        std::fs::write(f.join("trace-outside-the-folder.ron"), with_trace("../calls.csv")).unwrap();
    });
    add("trace-long-bad-line", &|f| {
        std::fs::write(f.join("trace-long-bad-line.ron"), with_trace("calls.csv")).unwrap();
        std::fs::write(f.join("calls.csv"), format!("seconds,rps\n0,10\n{}\n", "\u{1b}[31mroot:x:0:0".repeat(10_000)))
            .unwrap();
    });
    add("trace-a-directory", &|f| {
        std::fs::write(f.join("trace-a-directory.ron"), with_trace("calls.csv")).unwrap();
        std::fs::create_dir_all(f.join("calls.csv")).unwrap();
    });
    cases
}

/// Scenarios that read Kubernetes manifests and a KubeSchedulerConfiguration
/// from `tests/malformed/manifests/`, loaded from disk as a person's would be.
fn manifest_cases() -> Vec<Case> {
    let folder = catalogue().join("manifests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("tests/malformed/manifests exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let name = format!("tests/malformed/manifests/{}", file.file_name().unwrap().to_string_lossy());
            let shown = name.clone();
            Case {
                name,
                expected: file.with_extension("err"),
                load: Box::new(move || {
                    Scenario::load(&file).map_err(|e| match e {
                        flotilla::scenario::ScenarioError::Invalid { problems, more, .. } => {
                            flotilla::scenario::ScenarioError::Invalid { file: shown.clone(), problems, more }
                        }
                        other => other,
                    })
                }),
            }
        })
        .collect()
}

#[test]
fn each_malformed_file_gives_its_message_fast_and_in_little_memory() {
    let dir = std::env::temp_dir().join(format!("flotilla-malformed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cases = static_cases();
    cases.extend(made_cases());
    cases.extend(manifest_cases());
    #[cfg(unix)]
    cases.extend(side_file_cases(&dir));
    let bless = std::env::var_os("FLOTILLA_BLESS").is_some();
    let mut failures = Vec::new();
    let mut report = String::new();
    for case in cases {
        let (result, took, memory) = measured(case.load);
        let message = match result {
            Ok(_) => format!("(no error: {} was accepted)", case.name),
            Err(e) => e.to_string(),
        };
        let _ = writeln!(
            report,
            "{:>8.1} ms {:>8} KiB  {}",
            took.as_secs_f64() * 1e3,
            memory.map_or("?".to_string(), |m| (m / 1024).to_string()),
            case.name
        );
        if took > MAX_TIME {
            failures.push(format!("{}: took {took:?}", case.name));
        }
        if let Some(m) = memory
            && m > MAX_MEMORY_BYTES
        {
            failures.push(format!("{}: took {} MiB of memory", case.name, m >> 20));
        }
        if bless {
            std::fs::create_dir_all(case.expected.parent().unwrap()).unwrap();
            std::fs::write(&case.expected, format!("{message}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&case.expected).unwrap_or_default();
        if expected.trim_end() != message.trim_end() {
            failures.push(format!("{}\n--- expected\n{}\n--- got\n{message}\n", case.name, expected.trim_end()));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if std::env::var_os("FLOTILLA_MALFORMED_TIMES").is_some() {
        eprintln!("{report}");
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let text = format!("\u{feff}{}", scenario(HOST, IMAGE, APP, CONTAINERS, LAUNCH));
    Scenario::parse_bytes(text.as_bytes(), "bom.ron").unwrap();
    Scenario::parse(&text, "bom.ron").unwrap();
}
