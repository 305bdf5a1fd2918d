//! Threads that share a training run's steps.
//!
//! Helper threads live as long as the run. A step puts its shards on offer
//! ([`Crew::offer`]); every thread, the caller's too, takes the next shard
//! nobody has taken ([`Tasks::take`]) until none is left, and the caller
//! waits only for shards that were taken: a helper that wakes late finds the
//! work done, and nobody waits for it.
//!
//! Between steps a helper spins for a while before it sleeps, and the caller
//! spins while it waits for the last shard: waking a sleeping thread costs
//! tens of microseconds on a virtual machine, a large part of a step that
//! takes half a millisecond. `benches/README.md` has what this gained.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a helper spins for the next offer before it sleeps: longer than
/// a step's serial part (the optimizer, the metric, the next batch), shorter
/// than anything a person would notice as a busy core.
const SPIN: Duration = Duration::from_millis(2);

/// Work on offer to a run's helper threads, of type `W`.
pub(crate) struct Crew<W> {
    /// How long a helper spins: `SPIN`, or none when there are more threads
    /// than cores (a spinning thread would hold the core another needs).
    spin: Duration,
    offer: Mutex<Offer<W>>,
    /// `offer.count`, read while spinning without taking the lock.
    offers: AtomicUsize,
    wake: Condvar,
}

struct Offer<W> {
    work: Option<Arc<W>>,
    /// How many offers have been made.
    count: usize,
    /// No more offers: helpers return.
    closed: bool,
}

impl<W> Crew<W> {
    /// A crew for a run on `threads` threads, the caller's included.
    pub(crate) fn new(threads: usize) -> Crew<W> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Crew {
            spin: if threads <= cores {
                SPIN
            } else {
                Duration::ZERO
            },
            offer: Mutex::new(Offer {
                work: None,
                count: 0,
                closed: false,
            }),
            offers: AtomicUsize::new(0),
            wake: Condvar::new(),
        }
    }

    /// Puts `work` on offer, in place of the last.
    pub(crate) fn offer(&self, work: Arc<W>) {
        let mut offer = self.lock();
        offer.work = Some(work);
        offer.count += 1;
        self.offers.store(offer.count, Ordering::Release);
        drop(offer);
        self.wake.notify_all();
    }

    /// The work on offer once more than `seen` offers have been made, or
    /// `None` once the crew is closed. Spins a while, then sleeps.
    pub(crate) fn next(&self, seen: &mut usize) -> Option<Arc<W>> {
        let start = Instant::now();
        let mut spins = 0u32;
        while self.offers.load(Ordering::Acquire) == *seen {
            std::hint::spin_loop();
            spins += 1;
            if spins.is_multiple_of(256) {
                if start.elapsed() >= self.spin {
                    break;
                }
                // the core is free for a thread that needs it
                std::thread::yield_now();
            }
        }
        let offer = self.lock();
        let offer = self
            .wake
            .wait_while(offer, |offer| offer.count == *seen && !offer.closed)
            .unwrap_or_else(PoisonError::into_inner);
        if offer.closed {
            return None;
        }
        *seen = offer.count;
        offer.work.clone()
    }

    /// Ends the crew's work: helpers waiting for an offer return.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        // spinning helpers look, then find it closed
        self.offers.fetch_add(1, Ordering::Release);
        self.wake.notify_all();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Closes the crew when dropped: at the end of the run, on an early
    /// return, or when the thread holding it panics.
    pub(crate) fn closer(&self) -> Closer<'_, W> {
        Closer(self)
    }

    fn lock(&self) -> MutexGuard<'_, Offer<W>> {
        self.offer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct Closer<'a, W>(&'a Crew<W>);

impl<W> Drop for Closer<'_, W> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Numbered tasks for whichever thread comes first, and their results.
pub(crate) struct Tasks<R> {
    next: AtomicUsize,
    results: Vec<Mutex<Option<R>>>,
    done: AtomicUsize,
}

impl<R> Tasks<R> {
    pub(crate) fn new(count: usize) -> Tasks<R> {
        Tasks {
            next: AtomicUsize::new(0),
            results: (0..count).map(|_| Mutex::new(None)).collect(),
            done: AtomicUsize::new(0),
        }
    }

    /// The next task nobody has taken, if one is left.
    pub(crate) fn take(&self) -> Option<usize> {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        (index < self.results.len()).then_some(index)
    }

    pub(crate) fn finish(&self, index: usize, result: R) {
        *self.results[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(result);
        self.done.fetch_add(1, Ordering::Release);
    }

    /// Task `index`'s result, once it is finished, and only the first time.
    pub(crate) fn finished(&self, index: usize) -> Option<R> {
        self.results
            .get(index)?
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Waits until every task is finished: call it after taking tasks until
    /// none is left. Spins, since the others are at work.
    ///
    /// # Panics
    /// If `crew` closes first: a helper panicked with a task in hand.
    pub(crate) fn wait<W>(&self, crew: &Crew<W>) {
        let mut spins = 0u32;
        while self.done.load(Ordering::Acquire) < self.results.len() {
            std::hint::spin_loop();
            spins += 1;
            if spins.is_multiple_of(256) {
                assert!(
                    !crew.is_closed(),
                    "a training thread stopped with a shard in hand"
                );
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_runs_once_and_results_come_in_order() {
        let crew: Crew<Tasks<usize>> = Crew::new(4);
        let runs = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let _closer = crew.closer();
            for _ in 0..3 {
                scope.spawn(|| {
                    let mut seen = 0;
                    while let Some(tasks) = crew.next(&mut seen) {
                        while let Some(index) = tasks.take() {
                            runs.fetch_add(1, Ordering::Relaxed);
                            tasks.finish(index, index * index);
                        }
                    }
                });
            }
            for step in 0..200 {
                let tasks = Arc::new(Tasks::new(step % 9));
                crew.offer(Arc::clone(&tasks));
                while let Some(index) = tasks.take() {
                    runs.fetch_add(1, Ordering::Relaxed);
                    tasks.finish(index, index * index);
                }
                let expected: Vec<usize> = (0..step % 9).map(|i| i * i).collect();
                tasks.wait(&crew);
                let results: Vec<usize> = (0..step % 9).filter_map(|i| tasks.finished(i)).collect();
                assert_eq!(results, expected);
                assert_eq!(tasks.finished(0), None, "a result is had once");
            }
        });
        assert_eq!(
            runs.into_inner(),
            (0..200).map(|step| step % 9).sum::<usize>()
        );
    }

    #[test]
    fn a_helper_that_panics_with_a_task_in_hand_does_not_leave_the_caller_waiting() {
        let crew: Crew<Tasks<usize>> = Crew::new(2);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|scope| {
                let _closer = crew.closer();
                scope.spawn(|| {
                    let _closer = crew.closer();
                    if let Some(tasks) = crew.next(&mut 0) {
                        assert_eq!(tasks.take(), Some(0));
                        panic!("a bug in a shard");
                    }
                });
                // the caller takes no task: the helper holds the only one
                let tasks = Arc::new(Tasks::new(1));
                crew.offer(Arc::clone(&tasks));
                tasks.wait(&crew);
            })
        }));
        assert!(
            outcome.is_err(),
            "the caller panics rather than wait forever"
        );
    }

    #[test]
    fn a_closed_crew_sends_its_helpers_home() {
        let crew: Crew<()> = Crew::new(2);
        std::thread::scope(|scope| {
            let helper = scope.spawn(|| crew.next(&mut 0).is_none());
            std::thread::sleep(Duration::from_millis(10));
            crew.close();
            assert!(helper.join().unwrap());
        });
    }
}
