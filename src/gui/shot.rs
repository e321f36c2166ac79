//! `flotilla shot`: render the app at a simulated time and write a PNG. The
//! app runs in a real window (Xvfb and a software renderer do on a machine
//! without a GPU), waits a few frames for the layout to settle, captures the
//! window, and exits. It also reads the text egui laid out in that frame and
//! reports lines that overlap or are cut ([`super::layout_check`]).

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy_egui::egui::Rect;
use bevy_egui::{EguiContext, EguiFullOutput, EguiPostUpdateSet, PrimaryEguiContext};

use super::layout_check::{self, TextBox};

/// Where to write the picture, and how long to wait before taking it.
#[derive(Resource, Clone)]
pub struct ShotPlan {
    pub out: PathBuf,
    /// Frames to draw before capturing, so that egui has laid everything out.
    pub settle_frames: u32,
    /// Frames after which to give up.
    pub give_up_after: u32,
    /// Exit with [`LAYOUT_PROBLEMS`] when text overlaps or is cut.
    pub check_layout: bool,
}

/// The exit code of a shot whose layout check found problems.
pub const LAYOUT_PROBLEMS: u8 = 1;

/// The text of the last frame egui laid out, and its scroll areas.
#[derive(Resource, Default)]
struct LaidOutText(Vec<TextBox>, Vec<Rect>);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LaidOutText>().add_systems(Update, take_shot.run_if(resource_exists::<ShotPlan>)).add_systems(
        PostUpdate,
        record_text
            .run_if(resource_exists::<ShotPlan>)
            .after(EguiPostUpdateSet::EndPass)
            .before(EguiPostUpdateSet::ProcessOutput),
    );
}

fn record_text(
    mut contexts: Query<(&EguiFullOutput, &mut EguiContext), With<PrimaryEguiContext>>,
    mut text: ResMut<LaidOutText>,
) {
    for (output, mut ctx) in &mut contexts {
        if let Some(output) = &output.0 {
            *text = LaidOutText(layout_check::text_boxes(&output.shapes), layout_check::scroll_areas(ctx.get_mut()));
        }
    }
}

fn take_shot(
    mut commands: Commands,
    plan: Res<ShotPlan>,
    text: Res<LaidOutText>,
    mut frames: Local<u32>,
    mut requested: Local<bool>,
    mut exit: MessageWriter<AppExit>,
) {
    *frames += 1;
    if *frames == plan.settle_frames && !*requested {
        *requested = true;
        let problems = layout_check::problems(&text.0, &text.1);
        for p in &problems {
            println!("layout: {p}");
        }
        println!("layout: {} lines of text, {} overlapping or cut", text.0.len(), problems.len());
        let code = if plan.check_layout && !problems.is_empty() { LAYOUT_PROBLEMS } else { 0 };
        let mut save = save_to_disk(plan.out.clone());
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                save(captured);
                exit.write(AppExit::from_code(code));
            },
        );
    }
    if *frames > plan.give_up_after {
        error!("no screenshot after {} frames; giving up", plan.give_up_after);
        exit.write(AppExit::error());
    }
}
