//! Expectations: small boolean formulas over the worlds' metrics, checked
//! after a run (`"Containers.startup.p95 * 5 < VMs.startup.p95"`).
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | compare
//! compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := "-" unary | atom
//! atom    := NUMBER | DURATION | World.metric | "(" expr ")"
//! ```
//!
//! Durations (`30s`, `2m`, `250ms`) are numbers of seconds, like the time metrics.

use super::error::quoted;
use crate::engine::SimDuration;

/// The metrics a world reports, with what each means. Times are in seconds.
pub const METRICS: &[(&str, &str)] = &[
    ("startup.p50", "median time from launch request to Running, seconds"),
    ("startup.p95", "95th percentile of launch request to Running, seconds"),
    ("startup.max", "slowest launch request to Running, seconds"),
    ("all_running_at", "when every launched instance was running at last, seconds"),
    ("instances.running", "instances running at the end"),
    ("instances.pending", "instances launched but not yet running at the end"),
    ("density.max_per_host", "most running instances on one host at the end"),
    ("density.mean_per_host", "running instances per host in use at the end"),
    ("memory.overhead_gib", "memory held by guest OSes, hypervisors and runtimes at the end, GiB"),
    ("memory.used_fraction", "memory reserved on hosts that are up, over their total, at the end"),
    ("image.pulled_mb", "bytes delivered by the registry, MB"),
    ("disk.used_gib", "image caches and instance disks on hosts at the end, GiB"),
    ("energy.kwh", "energy drawn by all hosts over the run, kWh"),
    ("pods.running", "Kubernetes: pods running and Ready at the end"),
    ("pods.pending.max", "Kubernetes: the most pods pending (not yet Ready) at any time"),
    ("scheduling.attempts", "Kubernetes: scheduling cycles run"),
    ("scheduling.unschedulable", "Kubernetes: scheduling cycles that found no node"),
    (
        "rollout.duration",
        "Kubernetes: the last completed rollout, from the new template to all replicas available, seconds",
    ),
    ("rollout.min_available", "Kubernetes: the fewest pods available during the last completed rollout"),
    ("recovery.time", "Kubernetes: from the last node failure to every Deployment's replicas Ready again, seconds"),
    ("nodes.ready.min", "Kubernetes: the fewest nodes Ready at any time once all had joined"),
    ("requests.served", "requests served (after each service's warm-up)"),
    ("requests.dropped", "requests dropped: timed out, or arrived with no instance to serve them"),
    ("latency.p50", "median request latency, arrival to completion, seconds"),
    ("latency.p95", "95th percentile of request latency, seconds"),
    ("latency.p99", "99th percentile of request latency, seconds"),
    ("latency.mean", "mean request latency, seconds"),
    ("wait.mean", "mean time a served request waited in a queue, seconds"),
    ("in_system.mean", "mean number of requests in the system (queued or in service)"),
    ("slo.violation_s", "seconds in which the p95 latency exceeded the service's SLO (drops count as too slow)"),
    ("replicas.max", "the most instances serving at once"),
    ("replicas.mean", "instances serving, averaged over time"),
    ("nodes.max", "the most hosts powered on at once (Kubernetes: nodes Ready)"),
    ("cost.usd", "host-hours powered on and instance-hours running, at the scenario's prices"),
];

/// The longest expectation text accepted, and the deepest nesting.
const MAX_LEN: usize = 4_096;
const MAX_DEPTH: usize = 64;

/// A parsed expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub text: String,
    pub expr: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Number(f64),
    Metric { world: String, metric: String },
    Neg(Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Compare(Compare, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

/// A value met while evaluating.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Bool(bool),
}

/// The verdict on one expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub passed: bool,
    /// The two sides of the outermost comparison or connective.
    pub left: Option<Value>,
    pub right: Option<Value>,
    /// Why it could not be decided (a metric without a value, a division by zero).
    pub note: Option<String>,
}

impl Expr {
    fn is_bool(&self) -> bool {
        matches!(self, Expr::Compare(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(..))
    }

    /// Every `World.metric` the expression reads.
    pub fn metrics(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Metric { world, metric } = e {
                out.push((world.as_str(), metric.as_str()));
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Number(_) | Expr::Metric { .. } => {}
            Expr::Neg(e) | Expr::Not(e) => e.walk(f),
            Expr::Arith(_, a, b) | Expr::Compare(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                a.walk(f);
                b.walk(f);
            }
        }
    }

    /// Evaluates with `lookup(world, metric)`; `Err` says why no value exists.
    pub fn eval(&self, lookup: &dyn Fn(&str, &str) -> Option<f64>) -> Result<Value, String> {
        Ok(match self {
            Expr::Number(x) => Value::Number(*x),
            Expr::Metric { world, metric } => match lookup(world, metric) {
                Some(x) => Value::Number(x),
                None => return Err(format!("{world}.{metric} has no value in this run")),
            },
            Expr::Neg(e) => Value::Number(-e.number(lookup)?),
            Expr::Arith(op, a, b) => {
                let (x, y) = (a.number(lookup)?, b.number(lookup)?);
                Value::Number(match op {
                    Arith::Add => x + y,
                    Arith::Sub => x - y,
                    Arith::Mul => x * y,
                    Arith::Div => {
                        if y == 0.0 {
                            return Err("division by zero".to_string());
                        }
                        x / y
                    }
                })
            }
            Expr::Compare(op, a, b) => {
                let (x, y) = (a.number(lookup)?, b.number(lookup)?);
                Value::Bool(match op {
                    Compare::Lt => x < y,
                    Compare::Le => x <= y,
                    Compare::Gt => x > y,
                    Compare::Ge => x >= y,
                    Compare::Eq => x == y,
                    Compare::Ne => x != y,
                })
            }
            Expr::And(a, b) => Value::Bool(a.truth(lookup)? && b.truth(lookup)?),
            Expr::Or(a, b) => Value::Bool(a.truth(lookup)? || b.truth(lookup)?),
            Expr::Not(e) => Value::Bool(!e.truth(lookup)?),
        })
    }

    fn number(&self, lookup: &dyn Fn(&str, &str) -> Option<f64>) -> Result<f64, String> {
        match self.eval(lookup)? {
            Value::Number(x) => Ok(x),
            Value::Bool(_) => Err("a comparison was used as a number".to_string()),
        }
    }

    fn truth(&self, lookup: &dyn Fn(&str, &str) -> Option<f64>) -> Result<bool, String> {
        match self.eval(lookup)? {
            Value::Bool(b) => Ok(b),
            Value::Number(_) => Err("a number was used as a condition".to_string()),
        }
    }
}

impl Expectation {
    /// Checks the expectation against a run's metrics.
    pub fn check(&self, lookup: &dyn Fn(&str, &str) -> Option<f64>) -> Outcome {
        let (left, right) = match &self.expr {
            Expr::Compare(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => (a.eval(lookup).ok(), b.eval(lookup).ok()),
            Expr::Not(e) => (e.eval(lookup).ok(), None),
            _ => (None, None),
        };
        match self.expr.eval(lookup) {
            Ok(Value::Bool(passed)) => Outcome { passed, left, right, note: None },
            Ok(Value::Number(_)) => Outcome {
                passed: false,
                left,
                right,
                note: Some("the expectation is a number, not a condition".to_string()),
            },
            Err(note) => Outcome { passed: false, left, right, note: Some(note) },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
}

/// A problem in an expectation, with the 1-based column where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub column: usize,
    pub message: String,
}

/// Parses `text`, checking world names against `worlds` and metric names against [`METRICS`].
pub fn parse(text: &str, worlds: &[&str]) -> Result<Expectation, ExprError> {
    if text.len() > MAX_LEN {
        return Err(ExprError { column: 1, message: format!("longer than {MAX_LEN} characters") });
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(ExprError { column: 1, message: "empty expectation".to_string() });
    }
    let mut p = Parser { tokens, pos: 0, depth: 0, worlds, text_len: text.chars().count() };
    let expr = p.or()?;
    if let Some((_, col)) = p.tokens.get(p.pos) {
        return Err(ExprError { column: *col, message: "unexpected text after the end of the expression".to_string() });
    }
    if !expr.is_bool() {
        return Err(ExprError {
            column: 1,
            message: "an expectation must be a condition, such as \"A.startup.p95 < 30s\"".to_string(),
        });
    }
    Ok(Expectation { text: text.to_string(), expr })
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            // Exponent: 1e3, 2.5E-2.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let number: String = chars[start..i].iter().filter(|&&c| c != '_').collect();
            let unit_start = i;
            while i < chars.len() && (chars[i].is_alphabetic()) {
                i += 1;
            }
            let unit: String = chars[unit_start..i].iter().collect();
            let value = if unit.is_empty() {
                let value = number
                    .parse::<f64>()
                    .map_err(|_| ExprError { column: col, message: format!("{} is not a number", quoted(&number)) })?;
                // Rust's parse rounds a literal past f64's range to infinity, which
                // would make `0 * 1e400` not a number and every comparison with it odd.
                if !value.is_finite() {
                    return Err(ExprError {
                        column: col,
                        message: format!("{} is too large a number; the largest is about 1.8e308", quoted(&number)),
                    });
                }
                value
            } else {
                let d = SimDuration::parse(&format!("{number}{unit}"))
                    .map_err(|e| ExprError { column: col, message: e.to_string() })?;
                d.as_secs_f64()
            };
            out.push((Token::Number(value), col));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push((Token::Ident(word), col));
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op = match two.as_str() {
            "<=" => Some("<="),
            ">=" => Some(">="),
            "==" => Some("=="),
            "!=" => Some("!="),
            "&&" => Some("and"),
            "||" => Some("or"),
            _ => None,
        };
        if let Some(op) = op {
            out.push((Token::Op(op), col));
            i += 2;
            continue;
        }
        let tok = match c {
            '<' => Token::Op("<"),
            '>' => Token::Op(">"),
            '+' => Token::Op("+"),
            '-' => Token::Op("-"),
            '*' => Token::Op("*"),
            '/' => Token::Op("/"),
            '(' => Token::LParen,
            ')' => Token::RParen,
            '=' => {
                return Err(ExprError { column: col, message: "write == to compare for equality".to_string() });
            }
            _ => return Err(ExprError { column: col, message: format!("unexpected character '{c}'") }),
        };
        out.push((tok, col));
        i += 1;
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    depth: usize,
    worlds: &'a [&'a str],
    text_len: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.tokens.get(self.pos).map(|(_, c)| *c).unwrap_or(self.text_len + 1)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w == word)
            || matches!(self.peek(), Some(Token::Op(o)) if *o == word)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError { column: self.column(), message: message.into() })
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error(format!("nested more than {MAX_DEPTH} deep"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let mut left = self.and()?;
        while self.is_word("or") {
            let col = self.column();
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(need_bool(left, col)?), Box::new(need_bool(right, col)?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.not()?;
        while self.is_word("and") {
            let col = self.column();
            self.pos += 1;
            let right = self.not()?;
            left = Expr::And(Box::new(need_bool(left, col)?), Box::new(need_bool(right, col)?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ExprError> {
        if self.is_word("not") {
            let col = self.column();
            self.pos += 1;
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(need_bool(inner, col)?)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, ExprError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Some(Token::Op("<")) => Compare::Lt,
            Some(Token::Op("<=")) => Compare::Le,
            Some(Token::Op(">")) => Compare::Gt,
            Some(Token::Op(">=")) => Compare::Ge,
            Some(Token::Op("==")) => Compare::Eq,
            Some(Token::Op("!=")) => Compare::Ne,
            _ => return Ok(left),
        };
        let col = self.column();
        self.pos += 1;
        let right = self.sum()?;
        if matches!(self.peek(), Some(Token::Op("<" | "<=" | ">" | ">=" | "==" | "!="))) {
            return self.error("comparisons do not chain; join them with \"and\"");
        }
        Ok(Expr::Compare(op, Box::new(need_number(left, col)?), Box::new(need_number(right, col)?)))
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Some(Token::Op("+")) => Arith::Add,
                Some(Token::Op("-")) => Arith::Sub,
                _ => return Ok(left),
            };
            let col = self.column();
            self.pos += 1;
            let right = self.product()?;
            left = Expr::Arith(op, Box::new(need_number(left, col)?), Box::new(need_number(right, col)?));
        }
    }

    fn product(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Token::Op("*")) => Arith::Mul,
                Some(Token::Op("/")) => Arith::Div,
                _ => return Ok(left),
            };
            let col = self.column();
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Arith(op, Box::new(need_number(left, col)?), Box::new(need_number(right, col)?));
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if matches!(self.peek(), Some(Token::Op("-"))) {
            let col = self.column();
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(need_number(inner, col)?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        let col = self.column();
        match self.peek().cloned() {
            Some(Token::Number(x)) => {
                self.pos += 1;
                Ok(Expr::Number(x))
            }
            Some(Token::LParen) => {
                self.pos += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Token::RParen) {
                    return self.error("expected \")\"");
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Ident(word)) => {
                if matches!(word.as_str(), "and" | "or" | "not") {
                    return self.error(format!("expected a value before {}", quoted(&word)));
                }
                self.pos += 1;
                self.reference(&word, col)
            }
            Some(Token::Op(op)) => self.error(format!("expected a value, found \"{op}\"")),
            Some(Token::RParen) => self.error("expected a value, found \")\""),
            None => self.error("the expression ends too early"),
        }
    }

    fn reference(&self, word: &str, col: usize) -> Result<Expr, ExprError> {
        let Some((world, metric)) = word.split_once('.') else {
            return Err(ExprError {
                column: col,
                message: format!(
                    "{} is not a metric; write World.metric, such as \"{}.startup.p95\"",
                    quoted(word),
                    self.worlds.first().unwrap_or(&"World")
                ),
            });
        };
        if !self.worlds.contains(&world) {
            return Err(ExprError {
                column: col,
                message: format!("unknown world {}; the worlds are {}", quoted(world), self.worlds.join(", ")),
            });
        }
        if !METRICS.iter().any(|(name, _)| *name == metric) {
            let names: Vec<&str> = METRICS.iter().map(|(n, _)| *n).collect();
            let closest =
                names.iter().min_by_key(|n| edit_distance(n, metric)).filter(|n| edit_distance(n, metric) <= 3);
            let message = match closest {
                Some(n) => format!("unknown metric {}; did you mean \"{n}\"?", quoted(metric)),
                None => format!("unknown metric {}; the metrics are {}", quoted(metric), names.join(", ")),
            };
            return Err(ExprError { column: col + world.chars().count() + 1, message });
        }
        Ok(Expr::Metric { world: world.to_string(), metric: metric.to_string() })
    }
}

/// Levenshtein distance, for "did you mean".
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            prev = here;
        }
    }
    row[b.len()]
}

fn need_bool(e: Expr, column: usize) -> Result<Expr, ExprError> {
    if e.is_bool() {
        Ok(e)
    } else {
        Err(ExprError { column, message: "\"and\", \"or\" and \"not\" join conditions, not numbers".to_string() })
    }
}

fn need_number(e: Expr, column: usize) -> Result<Expr, ExprError> {
    if e.is_bool() {
        Err(ExprError { column, message: "arithmetic and comparisons take numbers, not conditions".to_string() })
    } else {
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORLDS: &[&str] = &["VMs", "Containers"];

    fn lookup(world: &str, metric: &str) -> Option<f64> {
        match (world, metric) {
            ("VMs", "startup.p95") => Some(28.0),
            ("Containers", "startup.p95") => Some(1.5),
            ("Containers", "instances.pending") => Some(0.0),
            _ => None,
        }
    }

    #[test]
    fn the_design_example_holds() {
        let e = parse("Containers.startup.p95 * 5 < VMs.startup.p95", WORLDS).unwrap();
        let o = e.check(&lookup);
        assert!(o.passed);
        assert_eq!(o.left, Some(Value::Number(7.5)));
        assert_eq!(o.right, Some(Value::Number(28.0)));
    }

    #[test]
    fn durations_are_seconds_and_precedence_is_usual() {
        let e =
            parse("VMs.startup.p95 < 30s and (1 + 2 * 3 == 7) or Containers.instances.pending > 0", WORLDS).unwrap();
        assert!(e.check(&lookup).passed);
        let e = parse("VMs.startup.p95 <= 0.5m - 2s", WORLDS).unwrap();
        assert!(e.check(&lookup).passed);
    }

    #[test]
    fn errors_name_the_column() {
        let err = parse("VM.startup.p95 < 3", WORLDS).unwrap_err();
        assert_eq!(err.column, 1);
        assert!(err.message.contains("unknown world \"VM\""), "{}", err.message);
        let err = parse("VMs.startup.p96 < 3", WORLDS).unwrap_err();
        assert_eq!(err.column, 5);
        let err = parse("VMs.startup.p95 < ", WORLDS).unwrap_err();
        assert!(err.message.contains("ends too early"));
        let err = parse("VMs.startup.p95 = 3", WORLDS).unwrap_err();
        assert_eq!(err.column, 17);
        assert!(parse("VMs.startup.p95 + 3", WORLDS).is_err());
        assert!(parse("1 < 2 < 3", WORLDS).is_err());
    }

    #[test]
    fn a_number_past_f64s_range_is_refused_where_it_stands() {
        // 1e400 would round to infinity, and 0 * infinity is not a number.
        let err = parse("0 * 1e400 != 0", WORLDS).unwrap_err();
        assert_eq!(err.column, 5);
        assert!(err.message.contains("\"1e400\" is too large a number"), "{}", err.message);
        assert!(parse("VMs.startup.p95 < 1e308", WORLDS).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let text = format!("{}1 < 2{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&text, WORLDS).unwrap_err().message.contains("nested"));
        let text = format!("{}1 < 2", "not ".repeat(500));
        assert!(parse(&text, WORLDS).is_err());
        let text = format!("{}1 < 2", "-".repeat(500));
        assert!(parse(&text, WORLDS).is_err());
    }

    #[test]
    fn missing_values_and_division_by_zero_fail_with_a_note() {
        let e = parse("VMs.startup.max < 3", WORLDS).unwrap();
        let o = e.check(&lookup);
        assert!(!o.passed);
        assert!(o.note.unwrap().contains("no value"));
        let e = parse("VMs.startup.p95 / 0 < 3", WORLDS).unwrap();
        assert_eq!(e.check(&lookup).note.as_deref(), Some("division by zero"));
    }
}
