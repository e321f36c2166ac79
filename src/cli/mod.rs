//! The command line: `check`, `report`, `digest` and `validate` run headless;
//! `kubectl`, `docker` and `virsh` print what those tools would show of a
//! world at a simulated time; `open` and
//! `shot` (with the `gui` feature) start the front end. Exit codes: 0 when
//! everything held, 1 when an expectation failed, 2 on any input error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::engine::time::trim_float;
use crate::report;
use crate::run::{self, RunOptions, RunResult};
use crate::scenario::{self, BudgetFile, LoadOptions, Scenario};

mod import;

#[derive(Parser, Debug)]
#[command(
    name = "flotilla",
    version,
    about = "Virtual machines vs containers, and a Kubernetes-style cluster, simulated side by side",
    long_about = "Flotilla runs scenario files that put the same apps on the same hosts as VMs, containers, \
                  microVMs or dedicated servers, and compares the worlds. With no command it opens the app."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run scenarios headless and check their expectations.
    Check {
        /// Scenario files, or directories whose *.ron files are checked (not recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also write JUnit XML here: a testsuite per scenario, a testcase per expectation.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Print a JSON array of scenario summaries on stdout instead of tables.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        budget: BudgetArg,
    },
    /// Run one scenario and write summary.json, events.jsonl, WORLD.csv, with traffic WORLD-traffic.csv, and report.html.
    Report {
        file: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        budget: BudgetArg,
    },
    /// Run scenarios and print each one's event-log digest (the SHA-256 of its events.jsonl), to compare runs across machines.
    Digest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        budget: BudgetArg,
    },
    /// Parse and validate scenario files without running them, and print what each would cost.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// List every manifest field not simulated, not each field once with how many more there are.
        #[arg(long)]
        all_fields: bool,
        #[command(flatten)]
        budget: BudgetArg,
    },
    /// Print what kubectl would show of a Kubernetes world at a simulated time:
    /// get pods|nodes|deployments|replicasets|hpa|pdb|events [-o wide], describe pod NAME, top nodes|pods.
    #[command(
        after_help = "Example: flotilla kubectl scenarios/rolling-update.ron --world Default --at 1m15s get pods -o wide"
    )]
    Kubectl {
        file: PathBuf,
        #[command(flatten)]
        at: AtArg,
        /// The kubectl command: get pods -o wide, describe pod NAME, top nodes, …
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "KUBECTL ARGS")]
        args: Vec<String>,
    },
    /// Print what `docker ps [-a]` would show on a host of a containers world at a simulated time.
    #[command(
        after_help = "Example: flotilla docker scenarios/cold-start.ron --world Containers --host rack-a-1 --at 20s ps"
    )]
    Docker {
        file: PathBuf,
        #[command(flatten)]
        at: AtArg,
        /// The host whose Docker daemon answers.
        #[arg(long)]
        host: String,
        /// ps, or ps -a
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "DOCKER ARGS")]
        args: Vec<String>,
    },
    /// Print what `virsh list [--all]` would show on a hypervisor of a VMs world at a simulated time.
    #[command(
        after_help = "Example: flotilla virsh scenarios/cold-start.ron --world VMs --host rack-a-1 --at 30s list"
    )]
    Virsh {
        file: PathBuf,
        #[command(flatten)]
        at: AtArg,
        /// The host whose libvirtd answers.
        #[arg(long)]
        host: String,
        /// list, or list --all
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "VIRSH ARGS")]
        args: Vec<String>,
    },
    /// Write a scenario with one Kubernetes world from a file or folder of Kubernetes manifests.
    Import {
        path: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// List every manifest field not simulated, not each field once with how many more there are.
        #[arg(long)]
        all_fields: bool,
    },
    /// Open the app on a scenario file.
    #[cfg(feature = "gui")]
    Open { file: Option<PathBuf> },
    /// Render the app at a simulated time and write a PNG.
    #[cfg(feature = "gui")]
    Shot {
        file: PathBuf,
        /// Simulated time to show, such as 20s.
        #[arg(long, default_value = "0s")]
        at: String,
        #[arg(long, value_name = "PNG")]
        out: PathBuf,
        /// Window size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1920x1080")]
        size: String,
        /// Large type, as in presentation mode.
        #[arg(long)]
        presentation: bool,
        /// Open the inspector on a host or instance: WORLD:NAME, such as Kubernetes:node-2.
        #[arg(long, value_name = "WORLD:NAME")]
        inspect: Option<String>,
        /// Exit with 1 when any text in the picture overlaps other text or is cut.
        #[arg(long)]
        check_layout: bool,
    },
}

/// Which world, at what simulated time, for the tools' views.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AtArg {
    /// The world to ask; may be left out when only one world of the scenario fits the tool.
    #[arg(long)]
    world: Option<String>,
    /// Simulated time, such as 5m or 1m30s; the end of the run when left out.
    #[arg(long)]
    at: Option<String>,
    #[command(flatten)]
    budget: BudgetArg,
}

/// The work budget a run may take, over the scenario's own and the default.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct BudgetArg {
    /// Events and memory a run may take, such as events=2e9,memory=8Gi (either
    /// may be left out); it overrides the scenario's budget and the default.
    #[arg(long, value_name = "events=N,memory=SIZE", value_parser = parse_budget)]
    budget: Option<BudgetFile>,
}

fn parse_budget(text: &str) -> Result<BudgetFile, String> {
    let b = BudgetFile::parse(text)?;
    match b.problem() {
        Some(p) => Err(p),
        None => Ok(b),
    }
}

impl BudgetArg {
    fn options(&self) -> LoadOptions {
        LoadOptions { budget: self.budget }
    }
}

pub use crate::exit_code::{EXPECTATION_FAILED, INPUT_ERROR, OK};

/// Parses the command line and runs it; returns the exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check { paths, junit, json, budget }) => check(&paths, junit.as_deref(), json, budget.options()),
        Some(Command::Report { file, out, budget }) => report_cmd(&file, &out, budget.options()),
        Some(Command::Validate { paths, all_fields, budget }) => validate(&paths, all_fields, budget.options()),
        Some(Command::Digest { paths, budget }) => digest(&paths, budget.options()),
        Some(Command::Kubectl { file, at, args }) => view(&file, &at, crate::views::Tool::Kubectl, None, &args),
        Some(Command::Docker { file, at, host, args }) => {
            view(&file, &at, crate::views::Tool::Docker, Some(&host), &args)
        }
        Some(Command::Virsh { file, at, host, args }) => {
            view(&file, &at, crate::views::Tool::Virsh, Some(&host), &args)
        }
        Some(Command::Import { path, out, all_fields }) => import::import(&path, &out, all_fields),
        #[cfg(feature = "gui")]
        Some(Command::Open { file }) => crate::gui::open(file),
        #[cfg(feature = "gui")]
        Some(Command::Shot { file, at, out, size, presentation, inspect, check_layout }) => {
            let options = crate::gui::ShotOptions { presentation, inspect, check_layout };
            crate::gui::shot(&file, &at, &out, &size, &options)
        }
        None => {
            #[cfg(feature = "gui")]
            {
                crate::gui::open(None)
            }
            #[cfg(not(feature = "gui"))]
            {
                use clap::CommandFactory;
                let _ = Cli::command().print_help();
                eprintln!("\nThis build has no front end (built without the `gui` feature); use a command above.");
                INPUT_ERROR
            }
        }
    }
}

/// Loads every scenario under `paths`, printing each problem to stderr.
/// Returns the scenarios that loaded and whether any input error occurred.
fn load_all(paths: &[PathBuf], options: LoadOptions) -> (Vec<Scenario>, bool) {
    let mut scenarios = Vec::new();
    let mut failed = false;
    for path in paths {
        let files = match scenario::collect_files(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
                continue;
            }
        };
        for file in files {
            match Scenario::load_with(&file, options) {
                Ok(s) => scenarios.push(s),
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                }
            }
        }
    }
    (scenarios, failed)
}

/// A progress bar on a terminal, shown once a run has taken more than a second.
struct Progress {
    bar: indicatif::ProgressBar,
    started: Instant,
    shown: bool,
    enabled: bool,
}

impl Progress {
    #[allow(clippy::disallowed_methods, reason = "the progress bar shows wall time, outside the simulation")]
    fn new(label: &str) -> Self {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_length(1000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {percent:>3}% {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        Self { bar, started: Instant::now(), shown: false, enabled: std::io::stderr().is_terminal() }
    }

    fn update(&mut self, fraction: f64) {
        if !self.enabled {
            return;
        }
        if !self.shown && self.started.elapsed().as_secs_f64() > 1.0 {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
    }

    fn finish(self) {
        self.bar.finish_and_clear();
    }
}

#[allow(clippy::disallowed_methods, reason = "reports how long the run took in wall time")]
fn run_with_progress(scenario: &Scenario, options: RunOptions) -> (RunResult, f64) {
    let mut progress = Progress::new(&scenario.name);
    let started = Instant::now();
    let result = run::run(scenario, options, &mut |f| progress.update(f));
    progress.finish();
    (result, started.elapsed().as_secs_f64())
}

fn check(paths: &[PathBuf], junit: Option<&Path>, json: bool, options: LoadOptions) -> u8 {
    let (scenarios, input_error) = load_all(paths, options);
    let mut runs = Vec::new();
    for s in &scenarios {
        let (result, seconds) = run_with_progress(s, RunOptions::default());
        if !json {
            print!("{}", table(s, &result, seconds));
        }
        runs.push((s, result, seconds));
    }
    if json {
        let array: Vec<serde_json::Value> = runs.iter().map(|(s, r, _)| report::summary(s, r)).collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::Value::Array(array)).unwrap_or_default());
    }
    if let Some(path) = junit {
        let refs: Vec<(&Scenario, &RunResult, f64)> = runs.iter().map(|(s, r, t)| (*s, r, *t)).collect();
        if let Err(e) = std::fs::write(path, report::junit(&refs)) {
            eprintln!("error: {}: {e}", path.display());
            return INPUT_ERROR;
        }
    }
    let failed: usize = runs.iter().map(|(_, r, _)| r.outcomes.iter().filter(|o| !o.passed).count()).sum();
    let total: usize = runs.iter().map(|(_, r, _)| r.outcomes.len()).sum();
    if !json {
        println!(
            "{} scenario{}, {} expectation{}: {} passed, {} failed",
            runs.len(),
            plural(runs.len()),
            total,
            plural(total),
            total - failed,
            failed
        );
    }
    if input_error {
        INPUT_ERROR
    } else if failed > 0 {
        EXPECTATION_FAILED
    } else {
        OK
    }
}

/// `1.2e7`, or the whole number when it is small.
fn scientific(x: f64) -> String {
    if x < 1e5 { format!("{}", libm::ceil(x) as u64) } else { format!("{x:.1e}") }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Manifest fields not simulated, a line each: with `all`, every one;
/// otherwise a field that more than three objects set (the same path, its
/// list indices aside, for the same reason) is listed where it first
/// occurs, with how many more there are and where the last one is.
pub(crate) fn not_simulated(ignored: &[scenario::manifests::Ignored], all: bool) -> Vec<String> {
    const LISTED_WHOLE: usize = 3;
    fn kind(i: &scenario::manifests::Ignored) -> (String, &str) {
        let mut path = String::with_capacity(i.path.len());
        let mut in_index = false;
        for ch in i.path.chars() {
            match ch {
                '[' => in_index = true,
                ']' => {
                    in_index = false;
                    path.push_str("[*]");
                }
                _ if !in_index => path.push(ch),
                _ => {}
            }
        }
        (path, i.reason.as_str())
    }
    let mut groups: Vec<Vec<&scenario::manifests::Ignored>> = Vec::new();
    let mut at: std::collections::BTreeMap<(String, &str), usize> = std::collections::BTreeMap::new();
    for i in ignored {
        let g = *at.entry(kind(i)).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let mut lines = Vec::new();
    for group in groups {
        if all || group.len() <= LISTED_WHOLE {
            lines.extend(group.iter().map(|i| i.to_string()));
            continue;
        }
        let (first, last) = (group[0], group[group.len() - 1]);
        lines.push(first.to_string());
        lines.push(format!(
            "  … and {} more of {}, the last at {}:{}:{}: {} (--all-fields lists them)",
            group.len() - 1,
            if first.path.is_empty() { "these objects".to_string() } else { kind(first).0 },
            last.file,
            last.at.line,
            last.at.column,
            last.object
        ));
    }
    lines
}

/// The per-scenario table: metrics down, worlds across, then the expectations.
pub fn table(s: &Scenario, result: &RunResult, seconds: f64) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} (seed {}, {}, {} world{}, ran in {:.2} s)",
        s.file,
        s.name,
        s.setup.seed,
        s.setup.duration,
        s.worlds.len(),
        plural(s.worlds.len()),
        seconds
    );
    let names: Vec<&str> = result.worlds.iter().map(|w| w.world.name()).collect();
    let metric_names: Vec<&str> = scenario::expect::METRICS.iter().map(|(n, _)| *n).collect();
    let width = metric_names.iter().map(|m| m.len()).max().unwrap_or(10) + 2;
    let cells: Vec<Vec<String>> = metric_names
        .iter()
        .map(|m| {
            result
                .worlds
                .iter()
                .map(|w| match w.metrics.get(*m).copied().flatten() {
                    Some(x) => format_value(x),
                    None => "—".to_string(),
                })
                .collect()
        })
        .collect();
    let col: Vec<usize> = (0..names.len())
        .map(|i| cells.iter().map(|r| r[i].chars().count()).chain([names[i].chars().count()]).max().unwrap_or(4) + 2)
        .collect();
    let _ = write!(out, "  {:<width$}", "metric");
    for (i, n) in names.iter().enumerate() {
        let _ = write!(out, "{:>w$}", n, w = col[i]);
    }
    out.push('\n');
    for (m, row) in metric_names.iter().zip(&cells) {
        let _ = write!(out, "  {m:<width$}");
        for (i, c) in row.iter().enumerate() {
            let _ = write!(out, "{:>w$}", c, w = col[i]);
        }
        out.push('\n');
    }
    for (e, o) in s.expectations.iter().zip(&result.outcomes) {
        let _ =
            writeln!(out, "  {}  {}    {}", if o.passed { "PASS" } else { "FAIL" }, e.text, report::outcome_detail(o));
    }
    out.push('\n');
    out
}

fn format_value(x: f64) -> String {
    if x == libm::trunc(x) && x.abs() < 1e12 {
        format!("{}", x as i64)
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.3}")
    } else {
        trim_float(libm::round(x * 1e4) / 1e4)
    }
}

/// `DIGEST  EVENTS  FILE` a line, as `sha256sum` prints.
fn digest(paths: &[PathBuf], options: LoadOptions) -> u8 {
    let (scenarios, failed) = load_all(paths, options);
    for s in &scenarios {
        let result = run::run(s, RunOptions { keep_events: true, record_series: false }, &mut |_| {});
        let events: usize = result.worlds.iter().map(|w| w.events.len()).sum();
        println!("{}  {events:>9}  {}", report::digest(&report::events_jsonl(s, &result)), s.file);
    }
    if failed { INPUT_ERROR } else { OK }
}

fn report_cmd(file: &Path, out: &Path, options: LoadOptions) -> u8 {
    if out.exists() && !out.is_dir() {
        eprintln!(
            "error: {}: there is a file of that name; report writes its files into a directory, so name a new or existing directory",
            out.display()
        );
        return INPUT_ERROR;
    }
    let scenario = match Scenario::load_with(file, options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return INPUT_ERROR;
        }
    };
    let (result, seconds) = run_with_progress(&scenario, RunOptions { keep_events: true, record_series: true });
    match write_report(&scenario, &result, out) {
        Ok(files) => {
            print!("{}", table(&scenario, &result, seconds));
            for f in files {
                println!("wrote {}", f.display());
            }
            if result.all_passed() { OK } else { EXPECTATION_FAILED }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            INPUT_ERROR
        }
    }
}

fn write_report(scenario: &Scenario, result: &RunResult, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    let mut write = |name: &str, text: &str| -> anyhow::Result<()> {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    let summary = report::summary(scenario, result);
    write("summary.json", &(serde_json::to_string_pretty(&summary)? + "\n"))?;
    write("events.jsonl", &report::events_jsonl(scenario, result))?;
    for w in &result.worlds {
        write(&format!("{}.csv", w.world.name()), &report::series_csv(&scenario.setup, w))?;
        if let Some(csv) = report::traffic_csv(w) {
            write(&format!("{}-traffic.csv", w.world.name()), &csv)?;
        }
    }
    write("report.html", &report::html::html(scenario, result))?;
    Ok(written)
}

/// Runs a world to the time asked and prints what the tool would print there.
fn view(file: &Path, at: &AtArg, tool: crate::views::Tool, host: Option<&str>, args: &[String]) -> u8 {
    use crate::views::{self, Tool, ViewError};
    let scenario = match Scenario::load_with(file, at.budget.options()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return INPUT_ERROR;
        }
    };
    let time = match &at.at {
        None => crate::engine::SimTime::ZERO + scenario.setup.duration,
        Some(text) => match crate::engine::SimDuration::parse(text) {
            Ok(d) => crate::engine::SimTime::ZERO + d,
            Err(e) => {
                eprintln!("error: --at {e}");
                return INPUT_ERROR;
            }
        },
    };
    let result = (|| -> Result<views::Output, ViewError> {
        // The command is read before the world runs, so that a typo is told at once.
        enum Parsed {
            Kubectl(views::kubectl::Command),
            Docker(views::docker::Ps),
            Virsh(views::virsh::List),
        }
        let parsed = match tool {
            Tool::Kubectl => Parsed::Kubectl(views::kubectl::parse(args)?),
            Tool::Docker => Parsed::Docker(views::docker::parse(args)?),
            Tool::Virsh => Parsed::Virsh(views::virsh::parse(args)?),
        };
        let world = tool.world(&scenario, at.world.as_deref())?;
        let snapshot = views::Snapshot::take(&scenario, world, time)?;
        match parsed {
            Parsed::Kubectl(c) => views::kubectl::run(&snapshot, &c),
            Parsed::Docker(ps) => views::docker::run(&snapshot, host.unwrap_or_default(), ps),
            Parsed::Virsh(list) => views::virsh::run(&snapshot, host.unwrap_or_default(), list),
        }
    })();
    match result {
        Ok(out) => {
            print!("{}", out.stdout);
            eprint!("{}", out.stderr);
            OK
        }
        // The tool's own words, as it prints them.
        Err(ViewError::Tool(message)) => {
            eprintln!("{message}");
            INPUT_ERROR
        }
        Err(e) => {
            eprintln!("error: {e}");
            INPUT_ERROR
        }
    }
}

fn validate(paths: &[PathBuf], all_fields: bool, options: LoadOptions) -> u8 {
    let (scenarios, input_error) = load_all(paths, options);
    for s in &scenarios {
        println!(
            "ok  {} — {} ({} world{}, {} host{}, {} expectation{}; about {} events and {} of a budget of {} and {})",
            s.file,
            s.name,
            s.worlds.len(),
            plural(s.worlds.len()),
            s.setup.hosts.len(),
            plural(s.setup.hosts.len()),
            s.expectations.len(),
            plural(s.expectations.len()),
            scientific(s.estimate.events()),
            crate::model::Bytes(s.estimate.bytes() as u64).binary(),
            scientific(s.budget.events),
            s.budget.memory.binary()
        );
        if !s.ignored.is_empty() {
            println!("    {} manifest field{} not simulated:", s.ignored.len(), plural(s.ignored.len()));
            for line in not_simulated(&s.ignored, all_fields) {
                println!("    {line}");
            }
        }
    }
    if input_error { INPUT_ERROR } else { OK }
}
