//! Genealogy (spec §8): the sponsor tree, the binary placement tree and the matrix, built in
//! enrollment order. Distributors are dense indices (`u32`) so that a period over a million
//! distributors is a handful of linear passes over arrays.
//!
//! Every parent has a smaller index than its children in all three trees (a sponsor enrolls
//! first; a placement parent is already placed), so bottom-up sums are one reverse pass.

use crate::period::Timestamp;
use crate::plan::{BinaryPlacement, Plan};
use crate::scenario::Leg;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// "No distributor" in index arrays.
pub const NONE: u32 = u32::MAX;

/// `first`, `next(first)`, … up to (not including) [`NONE`]: a walk up one of the trees.
pub fn chain(first: u32, next: impl Fn(u32) -> u32) -> impl Iterator<Item = u32> {
    std::iter::successors(Some(first).filter(|&x| x != NONE), move |&x| Some(next(x)).filter(|&y| y != NONE))
}

/// Why a distributor could not be added; `field` is relative to the distributor record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Network {
    pub ids: Vec<String>,
    pub index: FxHashMap<String, u32>,
    pub sponsor: Vec<u32>,
    /// How many distributors each has sponsored so far (for `alternate`).
    sponsored: Vec<u32>,
    pub binary: Option<BinaryTree>,
    pub matrix: Option<MatrixTree>,
    /// Each distributor's `joined_at` (spec §8), by index, where known: the fast-start window
    /// (§17) and the rule that a distributor earns no rank bonus before it joins (§19) use it.
    pub joined: Vec<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct BinaryTree {
    placement: BinaryPlacement,
    pub parent: Vec<u32>,
    pub left: Vec<u32>,
    pub right: Vec<u32>,
    /// Subtree sizes, maintained only for `weaker_leg`.
    size: Vec<u32>,
    /// A node further down each node's left / right spine (path-compressed), so that extreme
    /// descents cost amortised near-constant time instead of the spine's length.
    hint: [Vec<u32>; 2],
    path: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct MatrixTree {
    width: usize,
    pub parent: Vec<u32>,
    pub children: Vec<Vec<u32>>,
    /// Per full sponsor, the breadth-first search left where it found the last open node. Nodes
    /// only ever gain children, so a node found full stays full and the search can resume.
    cursors: FxHashMap<u32, VecDeque<u32>>,
}

impl Network {
    pub fn new(plan: &Plan) -> Network {
        Network {
            binary: plan.binary.as_ref().map(|b| BinaryTree {
                placement: b.placement,
                parent: Vec::new(),
                left: Vec::new(),
                right: Vec::new(),
                size: Vec::new(),
                hint: [Vec::new(), Vec::new()],
                path: Vec::new(),
            }),
            matrix: plan.matrix.as_ref().map(|m| MatrixTree {
                width: m.width as usize,
                parent: Vec::new(),
                children: Vec::new(),
                cursors: FxHashMap::default(),
            }),
            ..Network::default()
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// When `d` joined; `None` where the network was built without join dates.
    pub fn joined_at(&self, d: u32) -> Option<Timestamp> {
        self.joined.get(d as usize).copied()
    }

    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Enrolls a distributor, placing it in every tree of the plan.
    pub fn add(&mut self, id: &str, sponsor: Option<&str>, placement: Option<(&str, Leg)>) -> Result<u32, AddError> {
        if self.index.contains_key(id) {
            return Err(AddError { field: "id", message: format!("duplicate distributor id {id:?}") });
        }
        let s = match sponsor {
            None => NONE,
            Some(s) => self.get(s).ok_or_else(|| AddError {
                field: "sponsor",
                message: format!("unknown distributor {s:?} (a sponsor must appear before those it sponsors)"),
            })?,
        };
        let explicit = match (placement, &self.binary) {
            (Some((parent, leg)), Some(tree)) => {
                if s == NONE {
                    return Err(AddError {
                        field: "placement",
                        message: "a distributor without sponsor is a root and cannot be placed".into(),
                    });
                }
                let p = self.get(parent).ok_or_else(|| AddError {
                    field: "placement.parent",
                    message: format!("unknown distributor {parent:?} (a placement parent must already be placed)"),
                })?;
                if tree.child(p, leg) != NONE {
                    return Err(AddError {
                        field: "placement.leg",
                        message: format!("the {} leg of {parent:?} is already taken", leg_name(leg)),
                    });
                }
                Some((p, leg))
            }
            _ => None,
        };
        let me = self.ids.len() as u32;
        self.ids.push(id.to_string());
        self.index.insert(id.to_string(), me);
        self.sponsor.push(s);
        self.sponsored.push(0);
        let k = if s != NONE {
            self.sponsored[s as usize] += 1;
            self.sponsored[s as usize]
        } else {
            0
        };
        if let Some(tree) = &mut self.binary {
            tree.add(me, s, k, explicit);
        }
        if let Some(m) = &mut self.matrix {
            m.add(me, s);
        }
        Ok(me)
    }

    /// For each distributor, which leg of its sponsor's binary subtree it sits in (spec §10
    /// qualification), or `None` when it is outside both (an explicit placement elsewhere).
    pub fn side_under_sponsor(&self) -> Vec<Option<Leg>> {
        let Some(tree) = &self.binary else { return vec![None; self.len()] };
        let (tin, tout) = tree.intervals();
        let within = |x: u32, root: u32| {
            root != NONE && tin[root as usize] <= tin[x as usize] && tin[x as usize] < tout[root as usize]
        };
        (0..self.len() as u32)
            .map(|d| {
                let s = self.sponsor[d as usize];
                if s == NONE {
                    None
                } else if within(d, tree.left[s as usize]) {
                    Some(Leg::Left)
                } else if within(d, tree.right[s as usize]) {
                    Some(Leg::Right)
                } else {
                    None
                }
            })
            .collect()
    }
}

fn leg_name(leg: Leg) -> &'static str {
    match leg {
        Leg::Left => "left",
        Leg::Right => "right",
    }
}

fn side(leg: Leg) -> usize {
    match leg {
        Leg::Left => 0,
        Leg::Right => 1,
    }
}

impl BinaryTree {
    pub fn child(&self, p: u32, leg: Leg) -> u32 {
        match leg {
            Leg::Left => self.left[p as usize],
            Leg::Right => self.right[p as usize],
        }
    }

    fn add(&mut self, me: u32, sponsor: u32, k: u32, explicit: Option<(u32, Leg)>) {
        self.parent.push(NONE);
        self.left.push(NONE);
        self.right.push(NONE);
        self.hint[0].push(me);
        self.hint[1].push(me);
        let track = self.placement == BinaryPlacement::WeakerLeg;
        if track {
            self.size.push(1);
        }
        if sponsor == NONE {
            return; // a root of its own tree
        }
        let (parent, leg) = match explicit {
            Some(x) => x,
            None => {
                let leg = match self.placement {
                    BinaryPlacement::ExtremeLeft => Leg::Left,
                    BinaryPlacement::ExtremeRight => Leg::Right,
                    BinaryPlacement::WeakerLeg => {
                        let size = |c: u32| if c == NONE { 0 } else { self.size[c as usize] };
                        if size(self.right[sponsor as usize]) < size(self.left[sponsor as usize]) {
                            Leg::Right
                        } else {
                            Leg::Left
                        }
                    }
                    BinaryPlacement::Alternate if k % 2 == 1 => Leg::Left,
                    BinaryPlacement::Alternate => Leg::Right,
                };
                (self.spine_end(sponsor, leg), leg)
            }
        };
        match leg {
            Leg::Left => self.left[parent as usize] = me,
            Leg::Right => self.right[parent as usize] = me,
        }
        self.parent[me as usize] = parent;
        if track {
            let mut a = parent;
            while a != NONE {
                self.size[a as usize] += 1;
                a = self.parent[a as usize];
            }
        }
    }

    /// The last node of `from`'s spine on `leg`: descend that side until the slot is open.
    fn spine_end(&mut self, from: u32, leg: Leg) -> u32 {
        let s = side(leg);
        let mut y = from;
        self.path.clear();
        loop {
            let h = self.hint[s][y as usize];
            let next = if h != y { h } else { self.child(y, leg) };
            if next == NONE {
                break;
            }
            self.path.push(y);
            y = next;
        }
        for &p in &self.path {
            self.hint[s][p as usize] = y;
        }
        y
    }

    /// Pre-order entry and exit times, for "is x in the subtree of r" in O(1).
    fn intervals(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.parent.len();
        let (mut tin, mut tout) = (vec![0u32; n], vec![0u32; n]);
        let mut clock = 0u32;
        let mut stack: Vec<(u32, bool)> = Vec::new();
        for root in (0..n as u32).filter(|&r| self.parent[r as usize] == NONE) {
            stack.push((root, false));
            while let Some((v, done)) = stack.pop() {
                if done {
                    tout[v as usize] = clock;
                    continue;
                }
                tin[v as usize] = clock;
                clock += 1;
                stack.push((v, true));
                for c in [self.right[v as usize], self.left[v as usize]] {
                    if c != NONE {
                        stack.push((c, false));
                    }
                }
            }
        }
        (tin, tout)
    }
}

impl MatrixTree {
    fn add(&mut self, me: u32, sponsor: u32) {
        self.parent.push(NONE);
        self.children.push(Vec::new());
        if sponsor == NONE {
            return;
        }
        let parent = if self.children[sponsor as usize].len() < self.width {
            sponsor
        } else {
            let children = &self.children;
            let queue =
                self.cursors.entry(sponsor).or_insert_with(|| children[sponsor as usize].iter().copied().collect());
            loop {
                let front = *queue.front().expect("a full node has children, so the search finds an open node");
                if self.children[front as usize].len() < self.width {
                    break front;
                }
                queue.pop_front();
                queue.extend(self.children[front as usize].iter().copied());
            }
        };
        self.children[parent as usize].push(me);
        self.parent[me as usize] = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Format;

    fn plan(extra: &str) -> Plan {
        Plan::from_text(&format!("{{id: p, version: 1, currency: USD, period: month, {extra}}}"), Format::Yaml, "")
            .unwrap()
    }

    fn build(plan: &Plan, people: &[(&str, Option<&str>)]) -> Network {
        let mut n = Network::new(plan);
        for (id, s) in people {
            n.add(id, *s, None).unwrap();
        }
        n
    }

    fn name(n: &Network, i: u32) -> &str {
        if i == NONE {
            "-"
        } else {
            &n.ids[i as usize]
        }
    }

    fn kids(n: &Network, id: &str) -> (String, String) {
        let t = n.binary.as_ref().unwrap();
        let i = n.get(id).unwrap() as usize;
        (name(n, t.left[i]).into(), name(n, t.right[i]).into())
    }

    #[test]
    fn extreme_left_descends_the_left_spine() {
        let p = plan("binary: {rate: 0.1, placement: extreme_left}");
        let n = build(&p, &[("A", None), ("B", Some("A")), ("C", Some("A")), ("D", Some("B")), ("E", Some("A"))]);
        assert_eq!(kids(&n, "A"), ("B".into(), "-".into()));
        assert_eq!(kids(&n, "B"), ("C".into(), "-".into()));
        assert_eq!(kids(&n, "C"), ("D".into(), "-".into()));
        assert_eq!(kids(&n, "D"), ("E".into(), "-".into()));
    }

    #[test]
    fn weaker_leg_and_alternate() {
        let p = plan("binary: {rate: 0.1, placement: weaker_leg}");
        // A: B left (tie → left), C right (left has 1), D left (tie) at the end of the left
        // spine, E right (left 2, right 1) at the end of the right spine.
        let n = build(&p, &[("A", None), ("B", Some("A")), ("C", Some("A")), ("D", Some("A")), ("E", Some("A"))]);
        assert_eq!(kids(&n, "A"), ("B".into(), "C".into()));
        assert_eq!(kids(&n, "B"), ("D".into(), "-".into()));
        assert_eq!(kids(&n, "C"), ("-".into(), "E".into()));
        let p = plan("binary: {rate: 0.1, placement: alternate}");
        let n = build(&p, &[("A", None), ("B", Some("A")), ("X", Some("B")), ("C", Some("A")), ("D", Some("A"))]);
        // B: 1st of A → left; X: 1st of B → left of B; C: 2nd → right; D: 3rd → left spine end.
        assert_eq!(kids(&n, "A"), ("B".into(), "C".into()));
        assert_eq!(kids(&n, "B"), ("X".into(), "-".into()));
        assert_eq!(kids(&n, "X"), ("D".into(), "-".into()));
    }

    #[test]
    fn explicit_placement_rules() {
        let p = plan("binary: {rate: 0.1, placement: extreme_left}");
        let mut n = build(&p, &[("A", None), ("B", Some("A"))]);
        let e = n.add("C", Some("A"), Some(("A", Leg::Left))).unwrap_err();
        assert_eq!(e.field, "placement.leg");
        let e = n.add("C", None, Some(("A", Leg::Right))).unwrap_err();
        assert_eq!(e.field, "placement");
        let e = n.add("C", Some("A"), Some(("Z", Leg::Right))).unwrap_err();
        assert_eq!(e.field, "placement.parent");
        n.add("C", Some("B"), Some(("A", Leg::Right))).unwrap();
        assert_eq!(kids(&n, "A"), ("B".into(), "C".into()));
        // C is sponsored by B but sits in A's right leg: outside both of B's legs.
        let sides = n.side_under_sponsor();
        assert_eq!(sides[n.get("C").unwrap() as usize], None);
        assert_eq!(sides[n.get("B").unwrap() as usize], Some(Leg::Left));
    }

    #[test]
    fn matrix_spills_over_breadth_first() {
        let p = plan("matrix: {width: 2, rates: [0.1]}");
        let people: Vec<(String, Option<&str>)> =
            std::iter::once(("R".to_string(), None)).chain((1..=8).map(|i| (format!("N{i}"), Some("R")))).collect();
        let mut n = Network::new(&p);
        for (id, s) in &people {
            n.add(id, *s, None).unwrap();
        }
        let m = n.matrix.as_ref().unwrap();
        let parent = |id: &str| name(&n, m.parent[n.get(id).unwrap() as usize]).to_string();
        // R: N1 N2; N1: N3 N4; N2: N5 N6; N3: N7 N8.
        assert_eq!(
            ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"].map(parent),
            ["R", "R", "N1", "N1", "N2", "N2", "N3", "N3"]
        );
        // A recruit of N1 (full) spills into N1's subtree breadth-first: N3 is full, N4 is open.
        n.add("X", Some("N1"), None).unwrap();
        let m = n.matrix.as_ref().unwrap();
        assert_eq!(name(&n, m.parent[n.get("X").unwrap() as usize]), "N4");
    }

    #[test]
    fn unknown_sponsors_and_duplicate_ids_are_refused() {
        let p = plan("retail: {rate: 0.1}");
        let mut n = build(&p, &[("A", None), ("B", Some("A")), ("C", Some("B")), ("D", Some("A"))]);
        assert_eq!(n.sponsor, vec![NONE, 0, 1, 0]);
        let e = n.add("E", Some("Q"), None).unwrap_err();
        assert_eq!(e.field, "sponsor");
        assert_eq!(n.add("A", None, None).unwrap_err().field, "id");
    }
}
