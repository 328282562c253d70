//! How links form in a small room (issue #18): a seeded model of the
//! browser test `tests/browser/mesh.test.mjs` — twelve pages join one
//! after another, each keeps at most 3 links, then four leave at once —
//! running the real [`Membership`], [`Allowance`] and [`Promises`] with
//! the page's timers, each acting only on its own attempt
//! (crates/web/src/webrtc/mesh.rs): an offer given up after 15 s, `busy`
//! said to a member at most once a minute, another member asked 1 s after
//! `busy`, a lost link dialled again after a backoff. Each room runs
//! twice: with the rules of 2026-12-03 (a page alone asks so and a full
//! member makes room when its offer comes — at most once in 10 s, 6 times
//! an hour, once for one member; a page with room offers one
//! more link every 5 to 15 s; an ask unanswered for 3 s counts as
//! `busy`) and without them, as before.
//!
//! The property: once the room has settled, its online pages form one
//! linked group, and no page holds more than its limit. Without the
//! rules, the first pages filled their links among themselves and
//! answered the later ones `busy`; the later ones linked among themselves
//! and the room stayed in two groups (seen in `make test`; here in 1 room
//! of 19). With them, 1 room in 290 still splits (four pages of 3 links
//! linked to each other have no one to look out), so the test bounds the
//! share of split rooms. `TRUSTFOLD_SEEDS=1,2,3` runs those seeds;
//! `TRUSTFOLD_SCALE=full` runs 20,000.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "common/sim.rs"]
mod sim;

use sim::{Rng, scale};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use trustfold::sync::{Allowance, Membership, MeshLimits, Promises};

const PAGES: usize = 12;
const LINKS: usize = 3;
const OFFER_TIMEOUT: u64 = 15_000;
const BUSY_RETRY: u64 = 1_000;
const BUSY_SAID: u64 = 60_000;
const MAX_BACKOFF: u64 = 30_000;
const FILL_EVERY: u64 = 10_000;
const ASK_TIMEOUT: u64 = 3_000;

#[derive(Clone, Copy, Debug)]
enum Due {
    Join,
    Dial(usize),
    Ask {
        from: usize,
        to: usize,
        alone: bool,
    },
    Busy {
        from: usize,
        to: usize,
    },
    Nonce {
        from: usize,
        to: usize,
    },
    Open {
        from: usize,
        to: usize,
    },
    GiveUp {
        from: usize,
        to: usize,
        attempt: u64,
    },
    Closed {
        page: usize,
        peer: usize,
    },
    Fill(usize),
    AskTimeout {
        from: usize,
        to: usize,
        attempt: u64,
    },
}

struct Page {
    mesh: Membership<usize>,
    online: bool,
    /// The page's own bookkeeping (`trustfold::sync`): `busy` said to a
    /// member once a minute; room promised to at most 16 members, each
    /// promise good for an offer's 15 s.
    busy_said: Allowance<usize>,
    promised: Promises<usize>,
    backoff: BTreeMap<usize, u64>,
}

struct Room {
    rng: Rng,
    now: u64,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    due: BTreeMap<u64, Due>,
    next: u64,
    pages: Vec<Page>,
    /// The rules under test: a page asks alone and members make room for
    /// it, a page with room offers one more link now and then, and an ask
    /// not answered in time counts as `busy`. Off, the room behaves as
    /// before them.
    rules: bool,
    most_links: usize,
    /// Asks not answered yet (`nonce` or `busy`).
    asked: BTreeSet<(usize, usize)>,
    /// The latest offer from each page to each member: an offer's timers
    /// act only on their own attempt, as the page's do.
    attempts: BTreeMap<(usize, usize), u64>,
}

impl Room {
    fn at(&mut self, delay: u64, what: Due) {
        self.next += 1;
        self.due.insert(self.next, what);
        self.queue.push(Reverse((self.now + delay, self.next)));
    }

    /// A signal through the server: tens of milliseconds, more on a
    /// loaded machine.
    fn hop(&mut self) -> u64 {
        20 + self.rng.below(200)
    }

    fn run_until(&mut self, until: u64) {
        while let Some(&Reverse((when, n))) = self.queue.peek() {
            if when > until {
                break;
            }
            self.queue.pop();
            self.now = when;
            let what = self.due.remove(&n).expect("queued");
            self.handle(what);
        }
        self.now = until;
    }

    fn linked(&self, a: usize, b: usize) -> bool {
        self.pages[a].mesh.active().any(|&p| p == b)
    }

    fn handle(&mut self, what: Due) {
        match what {
            Due::Join => self.join(),
            Due::Dial(p) => self.dial(p),
            Due::Ask { from, to, alone } => self.ask(from, to, alone),
            Due::Busy { from, to } => {
                // `busy` frees the place; another member is asked later.
                if self.asked.remove(&(from, to))
                    && self.pages[from].online
                    && !self.linked(from, to)
                {
                    self.pages[from].mesh.down(&to);
                    self.at(BUSY_RETRY, Due::Dial(from));
                }
            }
            Due::Nonce { from, to } => {
                if !self.asked.remove(&(from, to)) {
                    return;
                }
                // The offer, the answer and ICE: up to seconds under load.
                let setup = 300 + self.rng.below(2_500);
                self.at(setup, Due::Open { from, to });
            }
            Due::Open { from, to } => self.open(from, to),
            Due::GiveUp { from, to, attempt } => {
                if self.attempts.get(&(from, to)) == Some(&attempt)
                    && self.pages[from].online
                    && !self.linked(from, to)
                {
                    self.pages[from].mesh.down(&to);
                    self.dial(from);
                }
            }
            Due::Closed { page, peer } => self.lost(page, peer),
            Due::AskTimeout { from, to, attempt } => {
                if self.rules && self.attempts.get(&(from, to)) == Some(&attempt) {
                    self.handle(Due::Busy { from, to });
                }
            }
            Due::Fill(p) => {
                if self.pages[p].online {
                    let alone = self.rules && self.pages[p].mesh.alone();
                    let rng = &mut self.rng;
                    if let Some(q) = self.pages[p].mesh.to_fill(|n| rng.index(n)) {
                        self.offer(p, q, alone);
                    }
                    let next = FILL_EVERY / 2 + self.rng.below(FILL_EVERY);
                    self.at(next, Due::Fill(p));
                }
            }
        }
    }

    fn join(&mut self) {
        let n = self.pages.len();
        let mut mesh = Membership::new(MeshLimits {
            links: LINKS,
            ..MeshLimits::default()
        });
        // A room this small: the server introduces everyone, in join
        // order, and tells everyone of the newcomer.
        let online: Vec<usize> = (0..n).filter(|&p| self.pages[p].online).collect();
        mesh.introduce(online.iter().copied());
        for &p in &online {
            self.pages[p].mesh.introduce([n]);
        }
        self.pages.push(Page {
            mesh,
            online: true,
            busy_said: Allowance::new(1, BUSY_SAID, 4096),
            promised: Promises::new(16, OFFER_TIMEOUT),
            backoff: BTreeMap::new(),
        });
        self.dial(n);
        if self.rules {
            let next = FILL_EVERY / 2 + self.rng.below(FILL_EVERY);
            self.at(next, Due::Fill(n));
        }
    }

    fn dial(&mut self, p: usize) {
        if !self.pages[p].online {
            return;
        }
        let alone = self.rules && self.pages[p].mesh.alone();
        let rng = &mut self.rng;
        let peers = self.pages[p].mesh.to_dial(|n| rng.index(n));
        for q in peers {
            self.offer(p, q, alone);
        }
    }

    /// `p` asks `q` for a nonce, then offers; an ask unanswered in time
    /// counts as `busy`, an offer not open in time is given up.
    fn offer(&mut self, p: usize, q: usize, alone: bool) {
        let hop = self.hop();
        self.asked.insert((p, q));
        self.at(
            hop,
            Due::Ask {
                from: p,
                to: q,
                alone,
            },
        );
        let attempt = self.next;
        self.attempts.insert((p, q), attempt);
        self.at(
            ASK_TIMEOUT,
            Due::AskTimeout {
                from: p,
                to: q,
                attempt,
            },
        );
        self.at(
            OFFER_TIMEOUT,
            Due::GiveUp {
                from: p,
                to: q,
                attempt,
            },
        );
    }

    fn ask(&mut self, from: usize, to: usize, alone: bool) {
        if !self.pages[to].online || !self.pages[from].online {
            return;
        }
        let room = self.pages[to].mesh.accepts(&from);
        // No room: a member alone is promised it, made once its offer
        // (verified) comes.
        let promise = self.rules
            && !room
            && alone
            && self.pages[to].mesh.can_make_room_for(&from, self.now)
            && self.pages[to].promised.promise(&from, self.now);
        let hop = self.hop();
        if room || promise {
            self.at(hop, Due::Nonce { from, to });
            return;
        }
        if self.pages[to].busy_said.take(&from, self.now) {
            self.at(hop, Due::Busy { from, to });
        }
    }

    /// The data channel opens: the answering side takes the link only if
    /// it still has room (it may have said yes to others meanwhile), or
    /// makes the room it promised.
    fn open(&mut self, from: usize, to: usize) {
        if !self.pages[from].online || !self.pages[to].online {
            return;
        }
        if self.linked(from, to) {
            return;
        }
        let promised = self.pages[to].promised.take(&from, self.now);
        if promised
            && !self.pages[to].mesh.accepts(&from)
            && let Some(victim) = self.pages[to].mesh.make_room(from, self.now)
        {
            // The data channel closes; the other side sees it soon.
            let hop = self.hop();
            self.at(
                hop,
                Due::Closed {
                    page: victim,
                    peer: to,
                },
            );
        }
        if !self.pages[to].mesh.up(from) {
            self.lost(from, to);
            return;
        }
        if !self.pages[from].mesh.up(to) {
            self.pages[to].mesh.down(&from);
            self.lost(to, from);
            return;
        }
        for p in [from, to] {
            self.most_links = self.most_links.max(self.pages[p].mesh.active_len());
        }
    }

    /// `page`'s link to `peer` closed: its place is free, and it dials
    /// again after a backoff that doubles per member.
    fn lost(&mut self, page: usize, peer: usize) {
        if !self.pages[page].online {
            return;
        }
        self.pages[page].mesh.down(&peer);
        let delay = *self.pages[page].backoff.get(&peer).unwrap_or(&1_000);
        self.pages[page]
            .backoff
            .insert(peer, (delay * 2).min(MAX_BACKOFF));
        self.at(delay, Due::Dial(page));
    }

    /// `n` leaves for good: the server tells the room, whose pages forget
    /// it and dial at once.
    fn leave(&mut self, n: usize) {
        self.pages[n].online = false;
        for p in 0..self.pages.len() {
            if self.pages[p].online {
                self.pages[p].mesh.gone(&n);
                self.dial(p);
            }
        }
    }

    /// The linked groups of online pages, each link seen from both sides.
    fn groups(&self) -> usize {
        let online: Vec<usize> = (0..self.pages.len())
            .filter(|&p| self.pages[p].online)
            .collect();
        let mut seen = BTreeSet::new();
        let mut groups = 0;
        for &start in &online {
            if !seen.insert(start) {
                continue;
            }
            groups += 1;
            let mut stack = vec![start];
            while let Some(p) = stack.pop() {
                for &q in self.pages[p].mesh.active() {
                    if self.pages[q].online && self.linked(q, p) && seen.insert(q) {
                        stack.push(q);
                    }
                }
            }
        }
        groups
    }
}

/// One room: returns its groups when settled after the joins, and after
/// four pages left at once.
fn room(seed: u64, rules: bool) -> (usize, usize, usize) {
    let mut room = Room {
        rng: Rng(seed),
        now: 0,
        queue: BinaryHeap::new(),
        due: BTreeMap::new(),
        next: 0,
        pages: Vec::new(),
        rules,
        most_links: 0,
        asked: BTreeSet::new(),
        attempts: BTreeMap::new(),
    };
    // The browser test opens its pages one after another: each takes
    // from a third of a second to two seconds to load and join.
    let mut at = 0;
    for _ in 0..PAGES {
        room.run_until(at);
        room.at(0, Due::Join);
        at += 300 + room.rng.below(1_700);
    }
    // The test writes at once and waits at most 60 s for every page.
    room.run_until(at + 40_000);
    let joined = room.groups();
    for n in 0..4 {
        room.leave(n);
    }
    room.run_until(room.now + 40_000);
    (joined, room.groups(), room.most_links)
}

#[test]
fn pages_joining_a_small_room_one_by_one_form_one_group_and_stay_one_when_four_leave() {
    let seeds: Vec<u64> = match std::env::var("TRUSTFOLD_SEEDS") {
        Ok(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("TRUSTFOLD_SEEDS: numbers"))
            .collect(),
        Err(_) => (0..scale(1_000, 20_000) as u64).collect(),
    };
    let mut split = Vec::new();
    let mut split_before = 0;
    for &seed in &seeds {
        let (joined, left, most) = room(seed, true);
        assert!(most <= LINKS, "seed {seed}: a page held {most} links");
        if joined != 1 || left != 1 {
            split.push((seed, joined, left));
        }
        let (joined, left, _) = room(seed, false);
        if joined != 1 || left != 1 {
            split_before += 1;
        }
    }
    println!(
        "{} rooms of {PAGES} pages, ≤ {LINKS} links: split in {} with the rules, {split_before} without them",
        seeds.len(),
        split.len()
    );
    println!("split (seed, groups after the joins, after four left): {split:?}");
    // Not every room: a group of pages that all hold their limit (four
    // pages of 3 links, linked to each other) has no one to look out.
    // But rarely: 69 rooms in 20,000 in the model, against 1,080 before.
    assert!(
        split.len() * 100 <= seeds.len(),
        "{} of {} rooms split: {split:?}",
        split.len(),
        seeds.len()
    );
}
