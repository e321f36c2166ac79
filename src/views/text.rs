//! How the real tools lay out text: Go's `text/tabwriter` (which kubectl and
//! the docker CLI print their tables through), libvirt's `vshTable` (virsh),
//! and the ways each writes a span of time or an instant.
//!
//! These are written from the behaviour the tools document and their tests
//! pin, so that a column is exactly as wide as the real one.

use std::fmt::Write as _;

use crate::engine::{SimDuration, SimTime};

/// Go's `text/tabwriter` with a space as padding character and no flags.
///
/// Text is cut into cells at each `\t`; the text after a line's last tab is
/// not a cell and is printed as it is. A *column block* is a run of
/// consecutive lines that have a cell in the same column; each block is as
/// wide as its widest cell plus `padding`, and at least `min_width`. A line
/// with fewer cells ends the blocks to its right, so a table's alignment
/// never reaches across a heading such as `Containers:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TabWriter {
    pub min_width: usize,
    pub padding: usize,
}

impl TabWriter {
    /// `printers.GetNewTabWriter` in kubectl: minwidth 6, tabwidth 4, padding 3.
    pub const KUBECTL: TabWriter = TabWriter { min_width: 6, padding: 3 };
    /// `describe.tabbedString` in kubectl: minwidth 0, tabwidth 8, padding 2.
    pub const KUBECTL_DESCRIBE: TabWriter = TabWriter { min_width: 0, padding: 2 };
    /// The docker CLI's table formatter: minwidth 10, tabwidth 1, padding 3.
    pub const DOCKER: TabWriter = TabWriter { min_width: 10, padding: 3 };

    /// Lays out `text` (lines ending in `\n`, cells ended by `\t`).
    pub fn format(&self, text: &str) -> String {
        let lines: Vec<Vec<&str>> = text.split_inclusive('\n').map(|l| l.split('\t').collect()).collect();
        let mut out = String::with_capacity(text.len() * 2);
        let mut widths = Vec::new();
        self.block(&lines, &mut widths, 0, lines.len(), &mut out);
        out
    }

    /// Formats lines `from..to` whose columns left of `widths.len()` are
    /// already sized: each block in the next column is sized and formatted
    /// in turn, and lines outside any block are written with what is known.
    fn block(&self, lines: &[Vec<&str>], widths: &mut Vec<usize>, from: usize, to: usize, out: &mut String) {
        let column = widths.len();
        let mut start = from;
        let mut this = from;
        while this < to {
            // A cell in this column exists when the line has a cell after it.
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            self.write_lines(&lines[start..this], widths, out);
            start = this;
            let mut width = self.min_width;
            while this < to && column + 1 < lines[this].len() {
                width = width.max(lines[this][column].chars().count() + self.padding);
                this += 1;
            }
            widths.push(width);
            self.block(lines, widths, start, this, out);
            widths.pop();
            start = this;
        }
        self.write_lines(&lines[start..to], widths, out);
    }

    fn write_lines(&self, lines: &[Vec<&str>], widths: &[usize], out: &mut String) {
        for line in lines {
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if let Some(&w) = widths.get(j)
                    && j + 1 < line.len()
                {
                    let n = w.saturating_sub(cell.chars().count());
                    out.extend(std::iter::repeat_n(' ', n));
                }
            }
        }
    }
}

/// libvirt's `vshTable` as `virsh list` prints it: every cell after a space,
/// columns two spaces apart beyond the widest cell, and under the header a
/// line of dashes three longer than each column.
pub fn vsh_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
        for (i, cell) in cells.enumerate() {
            out.push(' ');
            out.push_str(cell);
            if i + 1 < n {
                out.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    };
    line(&mut header.iter().copied(), &mut out);
    out.extend(std::iter::repeat_n('-', widths.iter().map(|w| w + 3).sum()));
    out.push('\n');
    for row in rows {
        line(&mut row.iter().map(String::as_str), &mut out);
    }
    out
}

/// `k8s.io/apimachinery/pkg/util/duration.HumanDuration`, as kubectl writes
/// ages: seconds up to two minutes, then minutes and seconds up to ten
/// minutes, minutes up to three hours, hours and minutes up to eight hours,
/// hours up to two days, days and hours up to eight days, days up to two
/// years, then years and days up to eight years, and years.
pub fn human_duration(d: SimDuration) -> String {
    let seconds = d.as_micros() / 1_000_000;
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

/// `github.com/docker/go-units.HumanDuration`, as `docker ps` writes
/// `CREATED` (`… ago`) and `STATUS` (`Up …`): words, rounded coarsely.
pub fn docker_duration(d: SimDuration) -> String {
    let seconds = d.as_micros() / 1_000_000;
    if seconds < 1 {
        return "Less than a second".into();
    }
    if seconds == 1 {
        return "1 second".into();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // Hours round to the nearest: `int(d.Hours() + 0.5)`.
    let hours = (d.as_micros() + 1_800_000_000) / 3_600_000_000;
    if hours == 1 {
        return "About an hour".into();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", d.as_micros() / 3_600_000_000 / 24 / 365)
}

/// Go's `time.Duration.String()` of a duration cut to whole milliseconds,
/// as the kubelet writes pull times: `850ms`, `1.234s`, `2m3.5s`, `1h0m2s`.
pub fn go_duration_ms(d: SimDuration) -> String {
    let ms = d.as_micros() / 1_000;
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60, ms % 1_000);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if h > 0 || m > 0 {
        let _ = write!(out, "{m}m");
    }
    let _ = write!(out, "{s}");
    if frac > 0 {
        let digits = format!("{frac:03}");
        let _ = write!(out, ".{}", digits.trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// A simulated instant as a wall-clock time. The simulation has no date of
/// its own, so its clock is read as starting at the Unix epoch: 0 s is
/// Thu, 01 Jan 1970 00:00:00 UTC.
pub fn rfc1123z(t: SimTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = t.as_micros() / 1_000_000;
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a count of days since 1970-01-01, by
/// eras of 400 years (146,097 days) whose years start in March, so that the
/// leap day falls at the end of a year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A Kubernetes quantity as `kubectl describe` prints requests: CPU in
/// cores when whole, else millicores (`500m`, `2`).
pub fn cpu_quantity(m: crate::model::Millicores) -> String {
    m.to_string()
}

/// Memory as Kubernetes prints a quantity. A quantity keeps the suffix it
/// was written with, which the simulation does not keep: of the largest
/// binary suffix that divides it exactly (`512Mi`) and the largest decimal
/// one (`256M`), the shorter reading is taken, the binary one on a tie.
pub fn memory_quantity(b: crate::model::Bytes) -> String {
    use crate::model::quantity::{GIB, KIB, MIB};
    let b = b.0;
    if b == 0 {
        return "0".into();
    }
    let exact = |units: &[(&str, u64)]| {
        units
            .iter()
            .find(|(_, scale)| b.is_multiple_of(*scale))
            .map_or_else(|| b.to_string(), |(u, s)| format!("{}{u}", b / s))
    };
    let binary =
        exact(&[("Ei", GIB << 30), ("Pi", GIB << 20), ("Ti", GIB << 10), ("Gi", GIB), ("Mi", MIB), ("Ki", KIB)]);
    let decimal = exact(&[
        ("E", 1_000_000_000_000_000_000),
        ("P", 1_000_000_000_000_000),
        ("T", 1_000_000_000_000),
        ("G", 1_000_000_000),
        ("M", 1_000_000),
        ("k", 1_000),
    ]);
    if decimal.len() < binary.len() { decimal } else { binary }
}

/// Hex of the SHA-256 of `parts`, each followed by a NUL so that
/// `("ab", "c")` and `("a", "bc")` differ: the deterministic stand-in for
/// identifiers the simulation does not have (container IDs, image digests).
pub fn derived_hex(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(secs: u64) -> SimDuration {
        SimDuration::from_secs(secs)
    }

    #[test]
    fn human_duration_as_apimachinery() {
        // duration_test.go TestHumanDuration, every case.
        let (h, day) = (3600, 86_400);
        for (secs, want) in [
            (1, "1s"),
            (70, "70s"),
            (190, "3m10s"),
            (70 * 60, "70m"),
            (47 * h, "47h"),
            (49 * h, "2d1h"),
            ((8 * 24 + 2) * h, "8d"),
            (367 * day, "367d"),
            ((365 * 2 * 24 + 25) * h, "2y1d"),
            ((365 * 8 * 24 + 2) * h, "8y"),
        ] {
            assert_eq!(human_duration(d(secs)), want, "{secs} s");
        }
    }

    #[test]
    fn human_duration_boundaries_as_apimachinery() {
        // duration_test.go TestHumanDurationBoundaries, the cases at or above zero; `- 1 ms`
        // is one millisecond less. The negative cases cannot arise: an age is never negative here.
        let ms = |x: u64| SimDuration::from_millis(x);
        let (m, h, day, year) = (60_000, 3_600_000, 86_400_000, 365 * 86_400_000);
        for (millis, want) in [
            (0, "0s"),
            (1_000 - 1, "0s"),
            (2 * m - 1, "119s"),
            (2 * m, "2m"),
            (2 * m + 1_000, "2m1s"),
            (10 * m - 1, "9m59s"),
            (10 * m, "10m"),
            (10 * m + 1_000, "10m"),
            (3 * h - 1, "179m"),
            (3 * h, "3h"),
            (3 * h + m, "3h1m"),
            (8 * h - 1, "7h59m"),
            (8 * h, "8h"),
            (8 * h + 59 * m, "8h"),
            (2 * day - 1, "47h"),
            (2 * day, "2d"),
            (2 * day + h, "2d1h"),
            (8 * day - 1, "7d23h"),
            (8 * day, "8d"),
            (8 * day + 23 * h, "8d"),
            (2 * year - 1, "729d"),
            (2 * year, "2y"),
            (2 * year + 23 * h, "2y"),
            (2 * year + 23 * h + 59 * m, "2y"),
            (2 * year + day - 1, "2y"),
            (2 * year + day, "2y1d"),
            (3 * year, "3y"),
            (4 * year, "4y"),
            (5 * year, "5y"),
            (6 * year, "6y"),
            (7 * year, "7y"),
            (8 * year - 1, "7y364d"),
            (8 * year, "8y"),
            (8 * year + 364 * day, "8y"),
            (9 * year, "9y"),
        ] {
            assert_eq!(human_duration(ms(millis)), want, "{millis} ms");
        }
    }

    #[test]
    fn docker_duration_as_go_units() {
        // go-units duration_test.go TestHumanDuration, every case.
        let (m, h) = (60, 3600);
        let (day, week, month, year) = (24 * h, 7 * 24 * h, 30 * 24 * h, 365 * 24 * h);
        assert_eq!(docker_duration(SimDuration::from_millis(450)), "Less than a second");
        for (secs, want) in [
            (1, "1 second"),
            (45, "45 seconds"),
            (46, "46 seconds"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (3 * m, "3 minutes"),
            (35 * m, "35 minutes"),
            (35 * m + 40, "35 minutes"),
            (45 * m, "45 minutes"),
            (45 * m + 40, "45 minutes"),
            (46 * m, "46 minutes"),
            (59 * m, "59 minutes"),
            (h, "About an hour"),
            (h + 29 * m, "About an hour"),
            (h + 31 * m, "2 hours"),
            (h + 59 * m, "2 hours"),
            (3 * h, "3 hours"),
            (3 * h + 29 * m, "3 hours"),
            (3 * h + 31 * m, "4 hours"),
            (3 * h + 59 * m, "4 hours"),
            (3 * h + 60 * m, "4 hours"),
            (24 * h, "24 hours"),
            (day + 12 * h, "36 hours"),
            (2 * day, "2 days"),
            (7 * day, "7 days"),
            (13 * day + 5 * h, "13 days"),
            (2 * week, "2 weeks"),
            (2 * week + 4 * day, "2 weeks"),
            (3 * week, "3 weeks"),
            (4 * week, "4 weeks"),
            (4 * week + 3 * day, "4 weeks"),
            (month, "4 weeks"),
            (month + 2 * week, "6 weeks"),
            (2 * month, "2 months"),
            (2 * month + 2 * week, "2 months"),
            (3 * month, "3 months"),
            (3 * month + week, "3 months"),
            (5 * month + 2 * week, "5 months"),
            (13 * month, "13 months"),
            (23 * month, "23 months"),
            (24 * month, "24 months"),
            (24 * month + 2 * week, "2 years"),
            (3 * year + 2 * month, "3 years"),
        ] {
            assert_eq!(docker_duration(d(secs)), want, "{secs} s");
        }
    }

    #[test]
    fn go_durations_print_as_time_duration_string() {
        let ms = SimDuration::from_millis;
        assert_eq!(go_duration_ms(SimDuration::from_micros(999)), "0s");
        assert_eq!(go_duration_ms(ms(850)), "850ms");
        assert_eq!(go_duration_ms(ms(1_000)), "1s");
        assert_eq!(go_duration_ms(ms(4_214)), "4.214s");
        assert_eq!(go_duration_ms(ms(1_500)), "1.5s");
        assert_eq!(go_duration_ms(ms(62_500)), "1m2.5s");
        assert_eq!(go_duration_ms(ms(3_602_000)), "1h0m2s");
    }

    #[test]
    fn instants_read_from_the_unix_epoch() {
        assert_eq!(rfc1123z(SimTime::ZERO), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc1123z(SimTime::ZERO + d(90)), "Thu, 01 Jan 1970 00:01:30 +0000");
        // 2000-02-29 is day 11,016: a leap day in a year divisible by 400, a Tuesday.
        assert_eq!(rfc1123z(SimTime::ZERO + d(11_016 * 86_400)), "Tue, 29 Feb 2000 00:00:00 +0000");
        // 365 days after the epoch: 1971-01-01, a Friday.
        assert_eq!(rfc1123z(SimTime::ZERO + d(365 * 86_400 + 3_723)), "Fri, 01 Jan 1971 01:02:03 +0000");
    }

    #[test]
    fn tabwriter_pads_columns_as_kubectl_prints_them() {
        // Each column is its widest cell plus 3, at least 6; the last cell is not padded.
        let text = "NAME\tREADY\tSTATUS\nweb-1\t1/1\tRunning\n";
        assert_eq!(TabWriter::KUBECTL.format(text), "NAME    READY   STATUS\nweb-1   1/1     Running\n");
        // A trailing tab makes the last cell a column too: `kubectl top` ends its lines so.
        assert_eq!(TabWriter::KUBECTL.format("a\tb\t\n"), "a     b     \n");
    }

    #[test]
    fn a_line_without_tabs_ends_the_column_blocks() {
        // kubectl describe: `Containers:` has no tab, so the lines under it align among themselves.
        let text = "Name:\tweb\nContainers:\n  web:\n    Image:\tweb:1.0\n    Ready:\tTrue\n";
        let want = "Name:  web\nContainers:\n  web:\n    Image:  web:1.0\n    Ready:  True\n";
        assert_eq!(TabWriter::KUBECTL_DESCRIBE.format(text), want);
        // Blocks in the second column are independent of the first's extent.
        let text = "a\tb\tc\naaaa\tb\nx\ty\tz\n";
        assert_eq!(TabWriter { min_width: 0, padding: 1 }.format(text), "a    b c\naaaa b\nx    y z\n");
    }

    #[test]
    fn vsh_tables_are_laid_out_as_virsh_prints_them() {
        let rows = vec![vec!["1".to_string(), "web-1".to_string(), "running".to_string()]];
        let want = " Id   Name    State\n-----------------------\n 1    web-1   running\n";
        assert_eq!(vsh_table(&["Id", "Name", "State"], &rows), want);
    }

    #[test]
    fn quantities_print_in_their_largest_exact_unit() {
        use crate::model::{Bytes, Millicores};
        assert_eq!(cpu_quantity(Millicores(500)), "500m");
        assert_eq!(cpu_quantity(Millicores(2_000)), "2");
        assert_eq!(memory_quantity(Bytes(512 << 20)), "512Mi");
        assert_eq!(memory_quantity(Bytes(256_000_000)), "256M");
        assert_eq!(memory_quantity(Bytes(1_500)), "1500");
        assert_eq!(memory_quantity(Bytes(1_000_000_000)), "1G");
        assert_eq!(memory_quantity(Bytes(1 << 30)), "1Gi");
        assert_eq!(memory_quantity(Bytes(3 << 30)), "3Gi");
    }
}
