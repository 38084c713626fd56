//! SIGINT / SIGTERM: the handler only records the signal; the loop notices it (the signal
//! interrupts `epoll_wait`, and the cron checks it at least `hz` times a second) and shuts
//! down cleanly from its own context.

use std::sync::atomic::{AtomicI32, Ordering};

/// The last shutdown signal received, or 0.
static SHUTDOWN_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SHUTDOWN_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Installs the handlers. SIGPIPE is already ignored by the Rust runtime; SIGHUP is
/// ignored as Redis does, so closing the terminal a foreground server was started from
/// does not kill it.
pub fn install() {
    // SAFETY: setting a signal's disposition to SIG_IGN involves no handler code.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction with a zeroed struct, an async-signal-safe handler (one atomic
        // store) and an empty mask; no SA_RESTART so the poll wakes with EINTR.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// Takes the pending shutdown signal, if any.
pub fn take() -> Option<i32> {
    match SHUTDOWN_SIGNAL.swap(0, Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// The signal's name for the log.
pub fn name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
}
