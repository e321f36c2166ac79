//! `report.html`: one page that needs nothing but itself, with every
//! world's charts and every expectation, the same bytes from the same run.

use std::path::Path;

use flotilla::report::html::html;
use flotilla::run::{self, RunOptions};
use flotilla::scenario::Scenario;

fn page(name: &str) -> (Scenario, String) {
    let scenario = Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name))
        .expect("a shipped scenario");
    let result = run::run(&scenario, RunOptions { keep_events: true, record_series: true }, &mut |_| {});
    let text = html(&scenario, &result);
    (scenario, text)
}

/// Nothing fetched from elsewhere: no scripts, no links to styles or fonts,
/// no URLs at all, no `src` or `href` attributes.
fn assert_self_contained(text: &str) {
    let lower = text.to_ascii_lowercase();
    for needle in ["http:", "https:", "//", "<script", "<link", "@import", "url(", " src=", " href=", "<iframe", "<img"]
    {
        // `//` is allowed nowhere: not even inside a comment does the page name a location.
        assert!(!lower.contains(needle), "the page contains {needle:?}");
    }
    assert!(lower.starts_with("<!doctype html>"), "{}", &text[..40.min(text.len())]);
    assert!(lower.contains("<style>") && lower.ends_with("</html>\n"));
}

/// A chart's title as the page writes it.
fn has_chart(text: &str, title: &str) -> bool {
    text.contains(&format!("<figcaption>{title}</figcaption>"))
}

#[test]
fn a_traffic_scenario_gets_every_chart_for_every_world() {
    let (scenario, text) = page("autoscaling-spike.ron");
    assert_self_contained(&text);
    for title in [
        "Instances running",
        "Offered load",
        "Replicas serving",
        "Hosts or nodes on",
        "p95 latency against the SLO",
        "Energy drawn",
    ] {
        assert!(has_chart(&text, title), "no chart {title:?}");
        // Each such chart has a line, and a legend entry, per world.
        let figure = &text[text.find(&format!("<figcaption>{title}</figcaption>")).unwrap()..];
        let figure = &figure[..figure.find("</figure>").unwrap()];
        assert_eq!(figure.matches("<path ").count(), scenario.worlds.len(), "{title}");
        for w in &scenario.worlds {
            assert!(figure.contains(&format!("</span>{}</li>", w.name)), "{title} has no {}", w.name);
        }
    }
    // The SLO is drawn on the latency chart.
    assert!(text.contains("SLO p95 0.2"));
    for w in &scenario.worlds {
        assert!(has_chart(&text, &format!("Start-up of each instance in {}", w.name)));
    }
    for e in &scenario.expectations {
        assert!(text.contains(&format!("<code>{}</code>", flotilla::report::html::escape(&e.text))), "{}", e.text);
    }
    assert_eq!(text.matches("<span class=\"badge pass\">PASS</span>").count(), scenario.expectations.len());
    for step in &scenario.lesson {
        assert!(text.contains(&flotilla::report::html::escape(&step.caption)), "{}", step.caption);
    }
    // 30 minutes of per-second samples in three worlds, drawn in well under a megabyte.
    assert!(text.len() < 600_000, "{} bytes", text.len());
}

#[test]
fn a_scenario_without_traffic_gets_no_empty_traffic_charts() {
    let (scenario, text) = page("rolling-update.ron");
    assert_self_contained(&text);
    assert!(has_chart(&text, "Instances running"));
    for title in ["Offered load", "Replicas serving", "p95 latency against the SLO", "Energy drawn"] {
        assert!(!has_chart(&text, title), "{title} drawn without traffic");
    }
    for w in &scenario.worlds {
        assert!(has_chart(&text, &format!("Start-up of each instance in {}", w.name)), "{}", w.name);
    }
    assert_eq!(text.matches("<span class=\"badge ").count(), scenario.expectations.len());
    // Kubernetes metrics are in the table; request metrics, which no world has, are not.
    assert!(text.contains("<code title=") && text.contains(">rollout.min_available</code>"));
    assert!(!text.contains(">latency.p95</code>"));
}

#[test]
fn the_same_run_gives_the_same_page() {
    let (_, a) = page("node-failure.ron");
    let (_, b) = page("node-failure.ron");
    assert_eq!(a, b);
}

#[test]
fn a_failed_expectation_reads_fail_with_both_sides() {
    let text = include_str!("../scenarios/cold-start.ron")
        .replace("expect: [", "expect: [\"Containers.startup.p95 > VMs.startup.p95\", ");
    let scenario = Scenario::parse(&text, "cold-start-failing.ron").expect("the scenario parses");
    let result = run::run(&scenario, RunOptions { keep_events: false, record_series: true }, &mut |_| {});
    let page = html(&scenario, &result);
    assert!(page.contains("<span class=\"badge fail\">FAIL</span>"));
    assert!(page.contains("class=\"verdict fail\""));
    let row = page.lines().find(|l| l.contains("<code>Containers.startup.p95 &gt; VMs.startup.p95</code>")).unwrap();
    assert!(row.contains("FAIL"), "{row}");
    // Both sides are numbers: the containers' p95 start-up, then the VMs'.
    let sides: Vec<&str> = row.split("<td class=\"num\">").skip(1).map(|c| c.split('<').next().unwrap()).collect();
    assert_eq!(sides.len(), 2, "{row}");
    let (left, right): (f64, f64) = (sides[0].parse().unwrap(), sides[1].parse().unwrap());
    assert!(left < right, "{row}");
}
