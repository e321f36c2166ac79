//! `report.html`: one self-contained page a course can publish from CI — the
//! scenario, its verdicts, the lesson, charts of every series the run
//! recorded and the metrics table. No script, font or style sheet is
//! fetched: the styles are inline and the charts are SVG drawn here.
//!
//! Series are drawn, not listed: a long run is cut into at most
//! [`BUCKETS`] columns across the chart, each keeping its first, lowest,
//! highest and last points, so that a spike survives and the file stays small.
//! The page holds no wall-clock date; the same run gives the same bytes.

use std::fmt::Write as _;

use crate::engine::SimTime;
use crate::engine::time::trim_float;
use crate::metrics::series::Series;
use crate::metrics::series::{LoadSample, Sample};
use crate::model::Phase;
use crate::run::RunResult;
use crate::scenario::Scenario;
use crate::scenario::expect::{self, METRICS};
use crate::world::World;

/// Columns a series is reduced to before it is drawn.
pub const BUCKETS: usize = 480;

/// Rows of a start-up chart; later instances are counted, not drawn.
pub const GANTT_ROWS: usize = 60;

/// Okabe and Ito's colour-blind-safe palette, without its yellow (too faint
/// on white paper).
const WORLD_COLORS: [&str; 6] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"];

fn world_color(i: usize) -> &'static str {
    WORLD_COLORS[i % WORLD_COLORS.len()]
}

/// The app's phase colours (`gui::theme`), so that the page and the app read alike.
fn phase_color(p: Phase) -> &'static str {
    match p {
        Phase::WaitingForPlacement => "#808080",
        Phase::FetchingImage => "#56B4E9",
        Phase::Booting => "#E69F00",
        Phase::Starting => "#F0E442",
        Phase::Running => "#009E73",
        Phase::Unknown => "#8A3A10",
        Phase::Stopping => "#CC79A7",
        Phase::Stopped => "#505050",
        Phase::Failed => "#D55E00",
    }
}

fn phase_words(p: Phase) -> &'static str {
    match p {
        Phase::WaitingForPlacement => "waiting for a host",
        Phase::FetchingImage => "fetching image",
        Phase::Booting => "booting",
        Phase::Starting => "starting",
        Phase::Running => "running",
        Phase::Unknown => "unknown (node silent)",
        Phase::Stopping => "stopping",
        Phase::Stopped => "stopped",
        Phase::Failed => "failed",
    }
}

/// Text for HTML: `&`, `<`, `>` and quotes escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A time in seconds as a short label: 0.5s, 45s, 10m, 10m30s, 2h, 2h30.
fn time_label(secs: f64) -> String {
    let whole = libm::round(secs) as u64;
    if (secs - whole as f64).abs() > 1e-6 {
        return format!("{}s", trim_float(libm::round(secs * 10.0) / 10.0));
    }
    let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m:02}"),
    }
}

/// Round grid steps for a time axis, seconds.
const TIME_STEPS: [f64; 22] = [
    0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0,
    21600.0, 43200.0, 86400.0, 172800.0,
];

/// A step of 1, 2 or 5 times a power of ten giving at most about five grid lines up to `max`.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / 5.0;
    let magnitude = libm::pow(10.0, libm::floor(libm::log10(raw)));
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

fn number_label(x: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-libm::floor(libm::log10(step))) as usize };
    let s = format!("{x:.decimals$}");
    if s == "-0" { "0".into() } else { s }
}

/// A time label starts at the axis' origin, ends at its right edge, and is centred on its tick elsewhere.
fn tick_anchor(x: f64, at: f64, width: f64) -> &'static str {
    if x == 0.0 {
        "start"
    } else if at > width - RIGHT - 20.0 {
        "end"
    } else {
        "middle"
    }
}

/// One line of a chart.
struct Line {
    label: String,
    color: &'static str,
    points: Vec<(f64, f64)>,
    dashed: bool,
}

/// Reduces points in time order to at most [`BUCKETS`] columns over
/// `0..x_max`, keeping each column's first, lowest, highest and last points
/// in their order.
fn downsample(points: &[(f64, f64)], x_max: f64) -> Vec<(f64, f64)> {
    if points.len() <= BUCKETS * 4 {
        return points.to_vec();
    }
    let width = x_max.max(1e-9) / BUCKETS as f64;
    let mut out = Vec::with_capacity(BUCKETS * 4);
    let mut i = 0;
    while i < points.len() {
        let bucket = libm::floor(points[i].0 / width);
        let mut j = i;
        while j < points.len() && libm::floor(points[j].0 / width) == bucket {
            j += 1;
        }
        let column = &points[i..j];
        let lowest = column.iter().enumerate().min_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |(k, _)| k);
        let highest = column.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |(k, _)| k);
        let mut keep = [0, lowest, highest, column.len() - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(column[k]);
                last = k;
            }
        }
        i = j;
    }
    out
}

/// Points of a quantity that holds its value until the next sample, drawn as steps.
fn steps(samples: impl Iterator<Item = (f64, f64)>, end: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut last: Option<f64> = None;
    for (t, y) in samples {
        if let Some(prev) = last {
            out.push((t, prev));
        }
        out.push((t, y));
        last = Some(y);
    }
    if let Some(y) = last {
        out.push((end, y));
    }
    out
}

const W: f64 = 520.0;
const H: f64 = 240.0;
const LEFT: f64 = 66.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 32.0;

/// A chart: its title, its legend and its SVG drawing (`width` × `height` in its own units).
pub struct Figure {
    pub title: String,
    legend: Vec<LegendEntry>,
    svg: String,
    width: f64,
    height: f64,
    /// A note under the chart (instances not drawn).
    note: Option<String>,
    wide: bool,
}

/// A legend entry: a line (solid or dashed), a block of colour, or the reference line.
struct LegendEntry {
    swatch: Swatch,
    color: &'static str,
    label: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Swatch {
    Solid,
    Dashed,
    Block,
    Reference,
}

impl Figure {
    /// The chart in the report page: a figure with its caption, its legend in HTML and the SVG.
    fn html(&self) -> String {
        let mut legend = String::from("<ul class=\"legend\">");
        for e in &self.legend {
            let _ = match e.swatch {
                Swatch::Solid | Swatch::Dashed => write!(
                    legend,
                    "<li><span class=\"swatch {}\" style=\"border-color:{}\"></span>{}</li>",
                    if e.swatch == Swatch::Dashed { "dashed" } else { "solid" },
                    e.color,
                    escape(&e.label)
                ),
                Swatch::Block => write!(
                    legend,
                    "<li><span class=\"swatch block\" style=\"background:{}\"></span>{}</li>",
                    e.color,
                    escape(&e.label)
                ),
                Swatch::Reference => {
                    write!(legend, "<li><span class=\"swatch reference\"></span>{}</li>", escape(&e.label))
                }
            };
        }
        legend.push_str("</ul>");
        let note = self.note.as_ref().map(|n| format!("<p class=\"note\">{}</p>", escape(n))).unwrap_or_default();
        format!(
            "<figure class=\"chart{}\"><figcaption>{}</figcaption>{legend}<svg viewBox=\"0 0 {} {:.0}\" role=\"img\" aria-label=\"{}\"><title>{}</title>{}</svg>{note}</figure>\n",
            if self.wide { " gantt" } else { "" },
            escape(&self.title),
            self.width,
            self.height,
            escape(&self.title),
            escape(&self.title),
            self.svg
        )
    }
}

/// A line chart over time.
fn line_chart(title: &str, y_label: &str, lines: &[Line], x_max: f64, reference: Option<(f64, &str)>) -> Figure {
    let x_max = x_max.max(1e-3);
    let y_data = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0_f64, f64::max);
    let y_top = y_data.max(reference.map_or(0.0, |r| r.0)).max(1e-9) * 1.08;
    let y_step = nice_step(y_top);
    let y_max = libm::ceil(y_top / y_step) * y_step;
    let px = |x: f64| LEFT + x / x_max * (W - LEFT - RIGHT);
    let py = |y: f64| TOP + (1.0 - y / y_max) * (H - TOP - BOTTOM);
    let mut svg = String::new();
    // Grid and axes.
    let mut y = 0.0;
    while y <= y_max + y_step * 1e-6 {
        let yy = py(y);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/><text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            number_label(y, y_step)
        );
        y += y_step;
    }
    let x_step = TIME_STEPS.iter().copied().find(|s| x_max / s <= 7.0).unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
    let mut x = 0.0;
    while x <= x_max + x_step * 1e-6 {
        let xx = px(x);
        let anchor = tick_anchor(x, xx, W);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TOP}\" y2=\"{}\"/><text class=\"tick\" x=\"{xx:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 16.0,
            time_label(x)
        );
        x += x_step;
    }
    let _ = write!(
        svg,
        "<text class=\"axis\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        (TOP + H - BOTTOM) / 2.0,
        escape(y_label)
    );
    if let Some((value, label)) = reference {
        let yy = py(value);
        let _ = write!(
            svg,
            "<line class=\"reference\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/><text class=\"reference-label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            W - RIGHT - 4.0,
            yy - 4.0,
            escape(label)
        );
    }
    // Earlier lines are drawn wider, so that a line that coincides with a later one still shows around it.
    for (k, line) in lines.iter().enumerate() {
        let width = (3.4 - 0.6 * k as f64).max(1.2);
        let points = downsample(&line.points, x_max);
        if points.is_empty() {
            continue;
        }
        let mut d = String::with_capacity(points.len() * 14);
        for (k, (x, y)) in points.iter().enumerate() {
            let _ = write!(d, "{}{:.1} {:.1}", if k == 0 { "M" } else { "L" }, px(*x), py(*y));
        }
        let dash = if line.dashed { " stroke-dasharray=\"5 4\"" } else { "" };
        let _ = write!(svg, "<path d=\"{d}\" stroke=\"{}\" stroke-width=\"{width:.1}\"{dash}/>", line.color);
    }
    let mut legend: Vec<LegendEntry> = lines
        .iter()
        .map(|l| LegendEntry {
            swatch: if l.dashed { Swatch::Dashed } else { Swatch::Solid },
            color: l.color,
            label: l.label.clone(),
        })
        .collect();
    if let Some((_, label)) = reference {
        legend.push(LegendEntry { swatch: Swatch::Reference, color: "#D55E00", label: label.to_string() });
    }
    Figure { title: title.to_string(), legend, svg, width: W, height: H, note: None, wide: false }
}

/// Width of a chart that spans the page (the start-up charts).
const W_WIDE: f64 = 900.0;

/// The start-up chart of one world: a row per instance (the first
/// [`GANTT_ROWS`]), a bar per phase, up to when the last shown instance settled.
fn gantt(world: &World, end: SimTime) -> Option<Figure> {
    let instances = world.instances();
    if instances.is_empty() {
        return None;
    }
    let shown = &instances[..instances.len().min(GANTT_ROWS)];
    // The chart spans start-up: until the last shown instance ran (or last changed), with a margin.
    let settled = shown
        .iter()
        .filter_map(|i| i.entered(Phase::Running).or_else(|| i.history.last().map(|&(_, t)| t)))
        .max()
        .unwrap_or(end);
    let x_max = (settled.as_secs_f64() * 1.1).clamp(1.0, end.as_secs_f64().max(1.0));
    let row_h = 7.0;
    let height = TOP + shown.len() as f64 * row_h + BOTTOM;
    let px = |x: f64| LEFT + x.min(x_max) / x_max * (W_WIDE - LEFT - RIGHT);
    let title = format!("Start-up of each instance in {}", world.name());
    let mut svg = String::new();
    let x_step = TIME_STEPS.iter().copied().find(|s| x_max / s <= 7.0).unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
    let mut x = 0.0;
    while x <= x_max + x_step * 1e-6 {
        let xx = px(x);
        let anchor = tick_anchor(x, xx, W_WIDE);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            height - BOTTOM,
            height - BOTTOM + 16.0,
            time_label(x)
        );
        x += x_step;
    }
    let mut used: Vec<Phase> = Vec::new();
    for (row, inst) in shown.iter().enumerate() {
        let y = TOP + row as f64 * row_h + 1.0;
        for (k, &(phase, start)) in inst.history.iter().enumerate() {
            if phase.is_terminal() || start.as_secs_f64() >= x_max {
                continue;
            }
            let stop = inst.history.get(k + 1).map_or(end, |&(_, t)| t);
            let (a, b) = (px(start.as_secs_f64()), px(stop.as_secs_f64()));
            if !used.contains(&phase) {
                used.push(phase);
            }
            let _ = write!(
                svg,
                "<rect x=\"{a:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {}</title></rect>",
                (b - a).max(0.6),
                row_h - 2.0,
                phase_color(phase),
                escape(&inst.name),
                phase_words(phase)
            );
        }
    }
    used.sort();
    let legend = used
        .into_iter()
        .map(|p| LegendEntry { swatch: Swatch::Block, color: phase_color(p), label: phase_words(p).to_string() })
        .collect();
    let note =
        (instances.len() > shown.len()).then(|| format!("The first {} of {} instances.", shown.len(), instances.len()));
    Some(Figure { title, legend, svg, width: W_WIDE, height, note, wide: true })
}

/// A count of the sampled series (running, pending) as step lines, for the worlds `keep` takes.
fn count_lines(
    sources: &[ChartSource],
    keep: fn(&ChartSource) -> bool,
    value: fn(&Sample) -> u32,
    dashed: bool,
    end: f64,
) -> Vec<Line> {
    sources
        .iter()
        .enumerate()
        .filter(|(_, w)| keep(w))
        .map(|(i, w)| Line {
            label: w.world.name().to_string(),
            color: world_color(i),
            points: steps(
                w.series
                    .samples
                    .iter()
                    .filter(|s| s.time <= w.until)
                    .map(|s| (s.time.as_secs_f64(), f64::from(value(s)))),
                end,
            ),
            dashed,
        })
        .collect()
}

/// A load series of the worlds that have one, as lines.
fn load_lines(sources: &[ChartSource], value: fn(&LoadSample) -> Option<f64>, stepped: bool, end: f64) -> Vec<Line> {
    sources
        .iter()
        .enumerate()
        .filter(|(_, w)| !w.series.load.is_empty())
        .filter_map(|(i, w)| {
            let raw: Vec<(f64, f64)> = w
                .series
                .load
                .iter()
                .filter(|l| l.time <= w.until)
                .filter_map(|l| value(l).map(|y| (l.time.as_secs_f64(), y)))
                .collect();
            if raw.is_empty() {
                return None;
            }
            let points = if stepped { steps(raw.into_iter(), end) } else { raw };
            Some(Line { label: w.world.name().to_string(), color: world_color(i), points, dashed: false })
        })
        .collect()
}

/// What a world's charts are drawn from: the world (names, instances) and
/// its recorded series, up to `until`.
pub struct ChartSource<'a> {
    pub world: &'a World,
    pub series: &'a Series,
    pub until: SimTime,
}

/// The report's charts: instances running and pending, then, under load,
/// offered load, replicas, hosts or nodes, p95 latency against the SLO,
/// drops and energy, then each world's start-up chart; over `0..end`.
pub fn figures(scenario: &Scenario, sources: &[ChartSource], end: SimTime) -> Vec<Figure> {
    let end_s = end.as_secs_f64();
    let mut out = Vec::new();
    let running = count_lines(sources, |w| !w.series.samples.is_empty(), |s| s.running, false, end_s);
    if !running.is_empty() {
        out.push(line_chart("Instances running", "running", &running, end_s, None));
    }
    let pending = count_lines(sources, |w| w.series.samples.iter().any(|s| s.pending > 0), |s| s.pending, true, end_s);
    if !pending.is_empty() {
        out.push(line_chart("Pending (waiting for a host, an image or a start)", "pending", &pending, end_s, None));
    }
    let load = load_lines(sources, |l| Some(l.rate), false, end_s);
    if !load.is_empty() {
        out.push(line_chart("Offered load", "requests/s", &load, end_s, None));
        let replicas = load_lines(sources, |l| Some(l.replicas as f64), true, end_s);
        out.push(line_chart("Replicas serving", "instances serving", &replicas, end_s, None));
        let nodes = load_lines(sources, |l| Some(l.nodes as f64), true, end_s);
        out.push(line_chart("Hosts or nodes on", "hosts / nodes on", &nodes, end_s, None));
        let latency = load_lines(sources, |l| l.p95, false, end_s);
        if !latency.is_empty() {
            let slo = scenario.worlds.iter().flat_map(|w| w.services.first()).map(|s| s.slo_p95.as_secs_f64()).next();
            let label = slo.map(|s| format!("SLO p95 {}", trim_float(s))).unwrap_or_default();
            let reference = slo.map(|s| (s, label.as_str()));
            out.push(line_chart("p95 latency against the SLO", "p95 latency (s)", &latency, end_s, reference));
        }
        let dropped = load_lines(sources, |l| Some(l.dropped as f64), false, end_s);
        if dropped.iter().any(|l| l.points.iter().any(|p| p.1 > 0.0)) {
            out.push(line_chart("Requests dropped", "dropped per sample", &dropped, end_s, None));
        }
        let energy = load_lines(sources, |l| Some(l.energy_kwh), false, end_s);
        out.push(line_chart("Energy drawn", "kWh so far", &energy, end_s, None));
    }
    for w in sources {
        if let Some(g) = gantt(w.world, end) {
            out.push(g);
        }
    }
    out
}

/// The charts as one standalone SVG document, two to a row (a start-up
/// chart takes a row of its own), with their titles and legends, for a page,
/// a slide or an editor.
pub fn figures_svg(title: &str, figures: &[Figure]) -> String {
    const MARGIN: f64 = 16.0;
    const PAGE: f64 = 2.0 * W + 3.0 * MARGIN;
    let mut body = String::new();
    let _ = write!(body, "<text class=\"heading\" x=\"{MARGIN}\" y=\"{:.1}\">{}</text>", MARGIN + 18.0, escape(title));
    let mut y = MARGIN + 36.0;
    let mut column = 0;
    let mut row_height: f64 = 0.0;
    for f in figures {
        if f.wide || column == 2 {
            y += row_height;
            row_height = 0.0;
            column = 0;
        }
        let x0 = MARGIN + column as f64 * (W + MARGIN);
        let height = figure_svg(&mut body, f, x0, y, if f.wide { PAGE - 2.0 * MARGIN } else { W });
        row_height = row_height.max(height);
        column = if f.wide { 2 } else { column + 1 };
    }
    y += row_height;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PAGE}\" height=\"{y:.0}\" viewBox=\"0 0 {PAGE} {y:.0}\" font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,sans-serif\" font-size=\"13\">\
         <title>{}</title><style>{SVG_STYLE}</style><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>{body}</svg>\n",
        escape(title)
    )
}

/// One chart of [`figures_svg`] at (`x0`, `y0`), at most `room` wide; returns the height it took.
fn figure_svg(body: &mut String, f: &Figure, x0: f64, y0: f64, room: f64) -> f64 {
    let mut y = y0;
    let _ = write!(body, "<text class=\"caption\" x=\"{x0}\" y=\"{:.1}\">{}</text>", y + 14.0, escape(&f.title));
    y += 24.0;
    // The legend on one line, each entry as wide as its words.
    let mut x = x0;
    for e in &f.legend {
        let cy = y + 8.0;
        let _ = match e.swatch {
            Swatch::Block => write!(
                body,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"18\" height=\"10\" rx=\"2\" fill=\"{}\"/>",
                cy - 5.0,
                e.color
            ),
            Swatch::Reference => write!(
                body,
                "<line class=\"reference\" x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{cy:.1}\" y2=\"{cy:.1}\"/>",
                x + 18.0
            ),
            Swatch::Solid | Swatch::Dashed => write!(
                body,
                "<line x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{cy:.1}\" y2=\"{cy:.1}\" stroke=\"{}\" stroke-width=\"3\"{}/>",
                x + 18.0,
                e.color,
                if e.swatch == Swatch::Dashed { " stroke-dasharray=\"5 4\"" } else { "" }
            ),
        };
        let _ = write!(
            body,
            "<text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 24.0,
            cy + 4.0,
            escape(&e.label)
        );
        x += 24.0 + 7.0 * e.label.chars().count() as f64 + 18.0;
    }
    if !f.legend.is_empty() {
        y += 22.0;
    }
    let width = f.width.min(room);
    let height = f.height * width / f.width;
    let _ = write!(
        body,
        "<svg x=\"{x0}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" viewBox=\"0 0 {} {:.0}\">{}</svg>",
        f.width, f.height, f.svg
    );
    y += height + 8.0;
    if let Some(note) = &f.note {
        let _ = write!(body, "<text class=\"legend\" x=\"{x0}\" y=\"{:.1}\">{}</text>", y + 12.0, escape(note));
        y += 20.0;
    }
    y + 16.0 - y0
}

/// The chart styles of [`STYLE`], for a standalone SVG.
const SVG_STYLE: &str = "path{fill:none;stroke-linejoin:round}.grid{stroke:#e6e9ed;stroke-width:1}\
.tick,.axis,.legend{fill:#5b6470}.reference{stroke:#D55E00;stroke-width:1.2;stroke-dasharray:2 3}\
.reference-label{fill:#D55E00}.heading{font-size:18px;font-weight:700;fill:#1d2126}.caption{font-weight:600;fill:#1d2126}";

fn format_metric(x: f64) -> String {
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

fn side(v: Option<expect::Value>) -> String {
    match v {
        Some(expect::Value::Number(x)) => format_metric(x),
        Some(expect::Value::Bool(b)) => b.to_string(),
        None => "—".into(),
    }
}

const STYLE: &str = "
:root{--ink:#1b1f24;--dim:#5b6470;--rule:#d8dde3;--pass:#1a7f37;--fail:#c4320a;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 .25rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--rule);padding-bottom:.25rem}
p{margin:.25rem 0 .75rem}
.meta{color:var(--dim);margin:0 0 1rem}
.verdict{display:inline-block;font-weight:600;padding:.15rem .6rem;border-radius:.3rem;color:#fff}
.verdict.pass{background:var(--pass)}.verdict.fail{background:var(--fail)}
.worlds{padding-left:1.2rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--rule);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
.badge{font-weight:700;font-size:.8rem;padding:.05rem .4rem;border-radius:.25rem;color:#fff}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
ol.lesson{padding-left:1.4rem}ol.lesson li{margin:.3rem 0}.question{margin:.2rem 0 0;font-style:italic}
details{margin:.1rem 0 .3rem}summary{cursor:pointer;color:var(--dim)}
.time{font-variant-numeric:tabular-nums;font-weight:600;margin-right:.4rem}
.pause{font-size:.8rem;color:var(--dim);margin-left:.3rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:1rem 1.5rem}
figure.chart{margin:0;break-inside:avoid;page-break-inside:avoid}
figure.gantt{grid-column:1/-1}
figcaption{font-weight:600;font-size:.95rem}
svg{display:block;width:100%;height:auto;font-size:13px}
figure.gantt svg{font-size:15px}
svg path{fill:none;stroke-linejoin:round}
svg .grid{stroke:#e6e9ed;stroke-width:1}
svg .tick{fill:var(--dim)}svg .axis{fill:var(--dim)}
svg .reference{stroke:var(--fail);stroke-width:1.2;stroke-dasharray:2 3}
svg .reference-label{fill:var(--fail)}
ul.legend{list-style:none;margin:.2rem 0;padding:0;display:flex;flex-wrap:wrap;gap:.15rem .9rem;font-size:.85rem;color:var(--dim)}
.swatch{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin-right:.3rem}
.swatch.dashed{border-top-style:dashed}
.swatch.block{height:10px;border:0;border-radius:2px}
.swatch.reference{border-top:2px dotted var(--fail)}
.note{color:var(--dim);font-size:.85rem}
footer{color:var(--dim);font-size:.8rem;margin-top:2.5rem}
@media (max-width:600px){body{font-size:15px}main{padding:1rem .75rem 2rem}h1{font-size:1.3rem}th,td{padding:.25rem .35rem}
 svg{font-size:19px}figure.gantt svg{font-size:30px}}
@media print{body{font-size:10pt}main{max-width:none;padding:0}h2{break-after:avoid}
 .charts{display:block}figure.chart{margin:0 0 1rem}.scroll{overflow:visible}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}@page{margin:15mm}}
";

/// The whole page.
pub fn html(scenario: &Scenario, result: &RunResult) -> String {
    let setup = &scenario.setup;
    let end = SimTime::ZERO + setup.duration;
    let passed = result.outcomes.iter().filter(|o| o.passed).count();
    let total = result.outcomes.len();
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — Flotilla report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&scenario.name)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&scenario.name));
    let _ = writeln!(
        out,
        "<p class=\"meta\"><code>{}</code> · seed {} · {} simulated · {} world{}</p>",
        escape(&scenario.file),
        setup.seed,
        setup.duration,
        scenario.worlds.len(),
        if scenario.worlds.len() == 1 { "" } else { "s" }
    );
    if let Some(d) = &scenario.description {
        let _ = writeln!(out, "<p>{}</p>", escape(d));
    }
    let class = if passed == total { "pass" } else { "fail" };
    let _ = writeln!(
        out,
        "<p><span class=\"verdict {class}\">{passed} of {total} expectation{} held</span></p>",
        if total == 1 { "" } else { "s" }
    );
    out.push_str("<ul class=\"worlds\">\n");
    for (i, w) in scenario.worlds.iter().enumerate() {
        let _ = writeln!(
            out,
            "<li><span class=\"swatch\" style=\"border-color:{}\"></span><strong>{}</strong>: {}</li>",
            world_color(i),
            escape(&w.name),
            w.platform.description()
        );
    }
    out.push_str("</ul>\n");

    // Expectations.
    out.push_str("<h2 id=\"expectations\">Expectations</h2>\n");
    if total == 0 {
        out.push_str("<p>The scenario states none.</p>\n");
    } else {
        out.push_str(
            "<div class=\"scroll\"><table><thead><tr><th>verdict</th><th>expectation</th><th class=\"num\">left</th><th class=\"num\">right</th></tr></thead><tbody>\n",
        );
        for (e, o) in scenario.expectations.iter().zip(&result.outcomes) {
            let (class, word) = if o.passed { ("pass", "PASS") } else { ("fail", "FAIL") };
            let note =
                o.note.as_deref().map(|n| format!("<br><span class=\"note\">{}</span>", escape(n))).unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr><td><span class=\"badge {class}\">{word}</span></td><td><code>{}</code>{note}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&e.text),
                side(o.left),
                side(o.right)
            );
        }
        out.push_str("</tbody></table></div>\n");
    }

    // The lesson.
    if !scenario.lesson.is_empty() {
        out.push_str("<h2 id=\"lesson\">Lesson</h2>\n<ol class=\"lesson\">\n");
        for step in &scenario.lesson {
            let pause = if step.pause { "<span class=\"pause\">(pauses)</span>" } else { "" };
            // The answer is folded away, for a class reading the page before the run.
            let question = step.question.as_ref().map_or(String::new(), |q| {
                format!(
                    "<p class=\"question\">Question: {}</p><details><summary>Answer</summary><p>{}</p></details>",
                    escape(&q.text),
                    escape(&q.answer)
                )
            });
            let _ = writeln!(
                out,
                "<li><span class=\"time\">{}</span>{}{pause}{question}</li>",
                time_label(step.at.as_secs_f64()),
                escape(&step.caption)
            );
        }
        out.push_str("</ol>\n");
    }

    // Charts.
    out.push_str(
        "<h2 id=\"charts\">Charts</h2>\n<p class=\"note\">A line per world, in the colours above; where two worlds \
         coincide, the earlier world's wider line shows around the later one.</p>\n<div class=\"charts\">\n",
    );
    let sources: Vec<ChartSource> =
        result.worlds.iter().map(|w| ChartSource { world: &w.world, series: &w.series, until: end }).collect();
    for figure in figures(scenario, &sources, end) {
        out.push_str(&figure.html());
    }
    out.push_str("</div>\n");

    // Metrics.
    out.push_str("<h2 id=\"metrics\">Metrics</h2>\n<div class=\"scroll\"><table><thead><tr><th>metric</th>");
    for w in &result.worlds {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(w.world.name()));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (name, meaning) in METRICS {
        let values: Vec<Option<f64>> = result.worlds.iter().map(|w| w.metrics.get(*name).copied().flatten()).collect();
        if values.iter().all(Option::is_none) {
            continue;
        }
        let _ = write!(out, "<tr><td><code title=\"{}\">{name}</code></td>", escape(meaning));
        for v in values {
            let _ = write!(out, "<td class=\"num\">{}</td>", v.map_or("—".to_string(), format_metric));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n<p class=\"note\">Metrics without a value in any world are left out; — marks one without a value in a world.</p>\n");
    let _ = write!(
        out,
        "<footer>Flotilla {} · the same file and seed give this page byte for byte.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_each_columns_extremes_in_order() {
        // 10,000 points over 100 s with one spike: the spike survives, and at most four points a column remain.
        let mut points: Vec<(f64, f64)> = (0..10_000).map(|i| (f64::from(i) / 100.0, 1.0)).collect();
        points[5_000].1 = 50.0;
        let out = downsample(&points, 100.0);
        assert!(out.len() <= BUCKETS * 4, "{}", out.len());
        assert!(out.iter().any(|p| p.1 == 50.0));
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
        // Short series are kept whole.
        assert_eq!(downsample(&points[..100], 100.0).len(), 100);
    }

    #[test]
    fn grid_steps_are_round() {
        assert_eq!(nice_step(10.0), 2.0);
        assert_eq!(nice_step(0.3), 0.1);
        assert_eq!(nice_step(7000.0), 2000.0);
        assert_eq!(number_label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(time_label(90.0), "1m30s");
        assert_eq!(time_label(7200.0), "2h");
    }

    #[test]
    fn text_from_the_file_is_escaped() {
        assert_eq!(escape("<b>\"a\" & 'b'</b>"), "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;");
    }
}
