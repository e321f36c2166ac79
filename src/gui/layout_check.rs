//! Text that a person could not read: from the shapes egui laid out in a
//! frame, every line of text whose ink overlaps another line's, and every
//! line cut by the rectangle it is clipped to. `flotilla shot --check-layout`,
//! the browser build's `?layout-check` and the layout tests all ask this.
//!
//! Boxes are the glyphs' ink (egui's mesh bounds per row), not the rows'
//! logical height, so two lines set close together do not count; a line
//! wholly outside its clip rectangle (scrolled away) is not drawn and not
//! counted, and one cut at the edge of a scroll area (which the app marks
//! with [`note_scroll_area`]) is scrolled, not lost.

use bevy_egui::egui::{self, Rect, Shape, epaint::ClippedShape};

use super::Sim;

/// One row of text as drawn: its characters, its ink, and its clip.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBox {
    pub text: String,
    pub rect: Rect,
    pub clip: Rect,
}

/// How far ink may cross before it counts, in points: antialiasing and
/// rounding make touching glyphs overlap by a fraction of a point.
const TOLERANCE: f32 = 1.0;

/// Marks the clip of the scroll area `ui` is in, for this frame: text cut
/// at its edges can be scrolled into view. Call it inside the scroll area.
pub fn note_scroll_area(ui: &egui::Ui) {
    let (pass, clip) = (ui.ctx().cumulative_pass_nr(), ui.clip_rect());
    ui.ctx().data_mut(|d| {
        let noted = d.get_temp_mut_or_default::<(u64, Vec<Rect>)>(egui::Id::new(SCROLL_AREAS));
        if noted.0 != pass {
            *noted = (pass, Vec::new());
        }
        noted.1.push(clip);
    });
}

const SCROLL_AREAS: &str = "layout_check::scroll_areas";

/// The scroll areas noted in the last pass of `ctx`.
pub fn scroll_areas(ctx: &egui::Context) -> Vec<Rect> {
    let pass = ctx.cumulative_pass_nr();
    ctx.data(|d| d.get_temp::<(u64, Vec<Rect>)>(egui::Id::new(SCROLL_AREAS)))
        // The pass number has moved on by one when the pass has ended.
        .filter(|(noted, _)| pass.saturating_sub(*noted) <= 1)
        .map(|(_, clips)| clips)
        .unwrap_or_default()
}

/// Every row of text in `shapes` that draws something.
pub fn text_boxes(shapes: &[ClippedShape]) -> Vec<TextBox> {
    let mut boxes = Vec::new();
    for clipped in shapes {
        collect(&clipped.shape, clipped.clip_rect, &mut boxes);
    }
    boxes
}

fn collect(shape: &Shape, clip: Rect, out: &mut Vec<TextBox>) {
    match shape {
        Shape::Vec(shapes) => shapes.iter().for_each(|s| collect(s, clip, out)),
        Shape::Text(t) if t.angle != 0.0 => {
            // A rotated label (a chart's vertical axis title): one box for all of it.
            let text = t.galley.text().trim().to_string();
            if !text.is_empty() && t.opacity_factor > 0.0 {
                out.push(TextBox { text, rect: t.visual_bounding_rect(), clip });
            }
        }
        Shape::Text(t) if t.opacity_factor > 0.0 => {
            for row in &t.galley.rows {
                let text: String = row.glyphs.iter().map(|g| g.chr).collect();
                let ink = row.visuals.mesh_bounds;
                if text.trim().is_empty() || !ink.is_positive() {
                    continue;
                }
                let rect = ink.translate(t.pos.to_vec2() + row.pos.to_vec2());
                out.push(TextBox { text: text.trim().to_string(), rect, clip });
            }
        }
        _ => {}
    }
}

/// The text of the app laid out on a plain egui context, `size` pixels at
/// scale 1, with no window or renderer: what `flotilla shot` would draw, in
/// a few milliseconds. Lays out a few frames, so that panels settle.
pub fn lay_out(sim: &mut Sim, size: (f32, f32)) -> (Vec<TextBox>, Vec<Rect>) {
    let ctx = egui::Context::default();
    super::theme::apply(&ctx);
    let mut boxes = Vec::new();
    for _ in 0..4 {
        let points = egui::vec2(size.0, size.1) / ctx.zoom_factor();
        let input =
            egui::RawInput { screen_rect: Some(Rect::from_min_size(egui::Pos2::ZERO, points)), ..Default::default() };
        let mut output = ctx.run_ui(input, |ui| super::app_ui(ui.ctx(), sim));
        // No renderer takes the font texture.
        output.textures_delta.clear();
        boxes = text_boxes(&output.shapes);
    }
    (boxes, scroll_areas(&ctx))
}

/// A line of text that cannot be read as laid out.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// Two lines' ink overlap.
    Overlap { a: TextBox, b: TextBox },
    /// Part of a line falls outside its clip rectangle.
    Cut { text: TextBox },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |r: Rect| format!("({:.0}, {:.0})–({:.0}, {:.0})", r.min.x, r.min.y, r.max.x, r.max.y);
        match self {
            Problem::Overlap { a, b } => {
                write!(f, "\"{}\" at {} overlaps \"{}\" at {}", a.text, at(a.rect), b.text, at(b.rect))
            }
            Problem::Cut { text } => {
                write!(f, "\"{}\" at {} is cut by its clip {}", text.text, at(text.rect), at(text.clip))
            }
        }
    }
}

/// Every overlap between two visible lines, and every line cut by its clip
/// but for those cut at the edge of one of `scroll_areas`.
pub fn problems(boxes: &[TextBox], scroll_areas: &[Rect]) -> Vec<Problem> {
    let visible: Vec<&TextBox> = boxes.iter().filter(|b| b.rect.intersects(b.clip)).collect();
    let scrolled = |clip: Rect| {
        scroll_areas.iter().any(|s| (s.min - clip.min).length() < TOLERANCE && (s.max - clip.max).length() < TOLERANCE)
    };
    let mut found = Vec::new();
    for b in &visible {
        if !b.clip.expand(TOLERANCE).contains_rect(b.rect) && !scrolled(b.clip) {
            found.push(Problem::Cut { text: (*b).clone() });
        }
    }
    // Sorted by left edge, each box meets only those that start before it ends.
    let mut order: Vec<&TextBox> = visible;
    order.sort_by(|a, b| a.rect.min.x.total_cmp(&b.rect.min.x));
    for (i, a) in order.iter().enumerate() {
        for b in &order[i + 1..] {
            if b.rect.min.x >= a.rect.max.x - TOLERANCE {
                break;
            }
            // Only what is drawn of each line can collide.
            let shown_a = a.rect.intersect(a.clip);
            let shown_b = b.rect.intersect(b.clip);
            let both = shown_a.intersect(shown_b);
            if both.width() > TOLERANCE && both.height() > TOLERANCE {
                found.push(Problem::Overlap { a: (*a).clone(), b: (*b).clone() });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_egui::egui::{pos2, vec2};

    fn text(s: &str, x: f32, y: f32, w: f32) -> TextBox {
        TextBox {
            text: s.to_string(),
            rect: Rect::from_min_size(pos2(x, y), vec2(w, 12.0)),
            clip: Rect::from_min_size(pos2(0.0, 0.0), vec2(500.0, 500.0)),
        }
    }

    #[test]
    fn overprinted_counters_are_an_overlap_and_neighbours_are_not() {
        // "24.9 GiB" runs 10 points into "0 MB"; "pulled" sits 4 points clear of it.
        let boxes =
            [text("24.9 GiB", 100.0, 50.0, 70.0), text("0 MB", 160.0, 50.0, 40.0), text("pulled", 204.0, 50.0, 40.0)];
        let found = problems(&boxes, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(&found[0], Problem::Overlap { a, b } if a.text == "24.9 GiB" && b.text == "0 MB"));
        assert!(found[0].to_string().contains("\"24.9 GiB\" at (100, 50)–(170, 62) overlaps \"0 MB\""));
    }

    #[test]
    fn a_line_running_past_its_clip_is_cut_and_one_scrolled_away_is_not_drawn() {
        let mut cut = text("Containers  ·  containerd", 450.0, 10.0, 120.0);
        cut.clip = Rect::from_min_size(pos2(0.0, 0.0), vec2(500.0, 500.0));
        let mut gone = text("hidden row", 10.0, 600.0, 80.0);
        gone.clip = cut.clip;
        let found = problems(&[cut.clone(), gone], &[]);
        assert_eq!(found.len(), 1);
        assert!(matches!(&found[0], Problem::Cut { text } if text.text.starts_with("Containers")));
        // The same line in a scroll area can be scrolled into view.
        assert!(problems(&[cut.clone()], &[cut.clip]).is_empty());
    }

    #[test]
    fn lines_under_different_clips_collide_only_where_both_are_drawn() {
        // Two columns, each clipped to itself: text cut at the boundary is
        // reported as cut, not as overlapping the next column's text.
        let mut left = text("a long title", 0.0, 0.0, 300.0);
        left.clip = Rect::from_min_max(pos2(0.0, 0.0), pos2(200.0, 500.0));
        let mut right = text("next", 210.0, 0.0, 40.0);
        right.clip = Rect::from_min_max(pos2(205.0, 0.0), pos2(400.0, 500.0));
        let found = problems(&[left, right], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(found[0], Problem::Cut { .. }));
    }
}
