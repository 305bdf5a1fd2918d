//! The terminal side of `val --visualize`: the frames printed one after
//! another (a replay, which `q` stops), and the interactive player: single
//! keys, drawn in place on the terminal's alternate screen, redrawn on
//! resize, and the terminal put back as it was on quit, on Ctrl-C, on
//! SIGINT, SIGTERM or SIGHUP from outside, and on a panic.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, terminal};

use super::expression::ColorWhen;
use super::visualize::{Frames, Key, Player, View};

/// Prints every frame, one after another: to a file or pipe as they come
/// (each as wide as it needs), or on a terminal fit to it, with `delay`
/// milliseconds between frames, each drawn over the last; there q, Esc or
/// Ctrl-C stops the replay.
pub fn replay(frames: &Frames, delay: Option<u64>, color: ColorWhen) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let on_terminal = stdout.is_terminal();
    let mut out = anstream::AutoStream::new(stdout.lock(), color.choice());
    let view = match crossterm::terminal::size() {
        Ok((cols, rows)) if on_terminal => View::fitting(cols as usize, rows as usize, false),
        _ => View::off_terminal(),
    };
    // keys one at a time while the replay waits (raw lines end in \r\n)
    let keys = match delay {
        Some(_) if on_terminal && std::io::stdin().is_terminal() => Some(RawKeys::enter()?),
        _ => None,
    };
    let end = if keys.is_some() { "\r\n" } else { "\n" };
    for frame in 0..frames.count() {
        if let Some(delay) = delay {
            if frame > 0 {
                let delay = Duration::from_millis(delay);
                if keys.is_none() {
                    std::thread::sleep(delay);
                } else if quit_within(delay)? {
                    break;
                }
            }
            if on_terminal {
                write!(out, "\x1b[2J\x1b[H")?;
            }
        } else if frame > 0 {
            writeln!(out)?;
        }
        for line in frames.render(frame, &view) {
            write!(out, "{}{}{:#}{end}", line.style, line.text, line.style)?;
        }
        out.flush()?;
    }
    Ok(())
}

/// Plays `frames` until a quit key.
pub fn run(frames: &Frames, colour: bool) -> anyhow::Result<()> {
    let _terminal = Terminal::enter()?;
    let mut player = Player::default();
    loop {
        // locked only while drawing: a signal's handler puts the terminal
        // back through standard output too
        draw(&mut std::io::stdout().lock(), frames, player, colour)?;
        let key = loop {
            if let Some(key) = key_of(crossterm::event::read()?) {
                break key;
            }
        };
        match player.on(key, frames.count()) {
            Some(next) => player = next,
            None => return Ok(()),
        }
    }
}

/// The player's key for a terminal event; `None` for events to ignore
/// (key releases, mouse, focus).
pub fn key_of(event: Event) -> Option<Key> {
    let key = match event {
        Event::Resize(..) => return Some(Key::Redraw),
        Event::Key(KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press | KeyEventKind::Repeat,
            ..
        }) => match code {
            KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Key::Quit,
            KeyCode::Right | KeyCode::Enter | KeyCode::Char('n' | ' ' | 'l') => Key::Next,
            KeyCode::Left | KeyCode::Backspace | KeyCode::Char('b' | 'p' | 'h') => Key::Back,
            KeyCode::Home | KeyCode::Char('g') => Key::First,
            KeyCode::End | KeyCode::Char('G') => Key::Last,
            KeyCode::Char('?') => Key::Help,
            KeyCode::Down | KeyCode::PageDown | KeyCode::Char('j') => Key::Down,
            KeyCode::Up | KeyCode::PageUp | KeyCode::Char('k') => Key::Up,
            KeyCode::Char('q') | KeyCode::Esc => Key::Quit,
            _ => Key::Other,
        },
        _ => return None,
    };
    Some(key)
}

/// Draws the player's frame over the whole screen.
fn draw(out: &mut impl Write, frames: &Frames, player: Player, colour: bool) -> anyhow::Result<()> {
    let (cols, rows) = terminal::size()?;
    let view = View {
        help: player.help,
        scroll: player.scroll,
        ..View::fitting(cols as usize, rows as usize, true)
    };
    queue!(out, terminal::Clear(terminal::ClearType::All))?;
    for (row, line) in frames.render(player.frame, &view).iter().enumerate() {
        queue!(out, cursor::MoveTo(0, row as u16))?;
        if colour {
            write!(out, "{}{}{:#}", line.style, line.text, line.style)?;
        } else {
            write!(out, "{}", line.text)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Waits up to `delay` for a key while a replay (`--delay`) runs; true when
/// it is a quit key (q, Esc, Ctrl-C). Needs `RawKeys`.
pub fn quit_within(delay: Duration) -> anyhow::Result<bool> {
    let deadline = Instant::now() + delay;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || !crossterm::event::poll(left)? {
            return Ok(false);
        }
        if key_of(crossterm::event::read()?) == Some(Key::Quit) {
            return Ok(true);
        }
    }
}

/// Single keys without a screen of its own, for a replay: raw mode for as
/// long as this lives (lines must end `\r\n`), put back as `Terminal` is.
pub struct RawKeys;

impl RawKeys {
    pub fn enter() -> anyhow::Result<RawKeys> {
        terminal::enable_raw_mode()?;
        on_the_way_out(|| {
            let _ = terminal::disable_raw_mode();
        });
        Ok(RawKeys)
    }
}

impl Drop for RawKeys {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Runs `put_back` before a panic's message and on a signal from outside
/// (which then ends the process): a player must not leave the terminal raw.
fn on_the_way_out(put_back: fn()) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        put_back();
        previous(info);
    }));
    // In raw mode Ctrl-C is a key; a signal from outside ends the process.
    // (A handler set before, in a test, stays: the player needs none then.)
    let _ = ctrlc::set_handler(move || {
        put_back();
        std::process::exit(130);
    });
}

/// The terminal in raw mode on the alternate screen, for as long as this
/// lives; a panic puts it back before its message is printed.
struct Terminal;

impl Terminal {
    fn enter() -> anyhow::Result<Terminal> {
        terminal::enable_raw_mode()?;
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )?;
        on_the_way_out(restore);
        Ok(Terminal)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        restore();
    }
}

/// Clears what the player drew (a terminal without an alternate screen,
/// or one resized while it ran, would keep it) and puts the terminal back.
fn restore() {
    let _ = execute!(
        std::io::stdout(),
        terminal::Clear(terminal::ClearType::All),
        cursor::MoveTo(0, 0),
        cursor::Show,
        terminal::LeaveAlternateScreen
    );
    let _ = terminal::disable_raw_mode();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> Event {
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    /// Keys as the terminal gives them, through the player: a fake key source.
    #[test]
    fn terminal_keys_drive_the_player() {
        let mut release = KeyEvent::new(KeyCode::Right, KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        let events = [
            press(KeyCode::Right),
            Event::Key(release), // ignored: a key counts once
            press(KeyCode::Char(' ')),
            press(KeyCode::Enter),
            press(KeyCode::Char('n')),
            press(KeyCode::Left),
            press(KeyCode::Char('b')),
            Event::Resize(80, 24),
            press(KeyCode::End),
            press(KeyCode::Home),
            press(KeyCode::Char('?')),
            press(KeyCode::Char('x')),
            Event::FocusGained,
            press(KeyCode::Char('q')),
        ];
        let mut player = Player::default();
        let mut frames = Vec::new();
        for event in events {
            let Some(key) = key_of(event) else { continue };
            match player.on(key, 12) {
                Some(next) => player = next,
                None => {
                    frames.push(usize::MAX);
                    break;
                }
            }
            frames.push(player.frame);
        }
        assert_eq!(frames, [1, 2, 3, 4, 3, 2, 2, 11, 0, 0, 0, usize::MAX]);
        let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(key_of(ctrl_c), Some(Key::Quit));
        assert_eq!(key_of(press(KeyCode::Esc)), Some(Key::Quit));
    }
}
