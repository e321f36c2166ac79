//! `flotilla shot`: render the app at a simulated time and write a PNG. The
//! app runs in a real window (Xvfb and a software renderer do on a machine
//! without a GPU), waits a few frames for the layout to settle, captures the
//! window, and exits.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};

/// Where to write the picture, and how long to wait before taking it.
#[derive(Resource, Clone)]
pub struct ShotPlan {
    pub out: PathBuf,
    /// Frames to draw before capturing, so that egui has laid everything out.
    pub settle_frames: u32,
    /// Frames after which to give up.
    pub give_up_after: u32,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, take_shot.run_if(resource_exists::<ShotPlan>));
}

fn take_shot(
    mut commands: Commands,
    plan: Res<ShotPlan>,
    mut frames: Local<u32>,
    mut requested: Local<bool>,
    mut exit: MessageWriter<AppExit>,
) {
    *frames += 1;
    if *frames == plan.settle_frames && !*requested {
        *requested = true;
        let mut save = save_to_disk(plan.out.clone());
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                save(captured);
                exit.write(AppExit::Success);
            },
        );
    }
    if *frames > plan.give_up_after {
        error!("no screenshot after {} frames; giving up", plan.give_up_after);
        exit.write(AppExit::error());
    }
}
