//! Genealogy (spec §8): the sponsor tree, the binary placement tree and the matrix, built in
//! enrollment order. Distributors are dense indices (`u32`) so that a period over a million
//! distributors is a handful of linear passes over arrays.
//!
//! Every parent has a smaller index than its children in all three trees (a sponsor enrolls
//! first; a placement parent is already placed), so bottom-up sums are one reverse pass.

use crate::period::Timestamp;
use crate::plan::Plan;
use crate::scenario::Leg;
use rustc_hash::FxHashMap;

mod binary_tree;
mod matrix_tree;
pub use binary_tree::BinaryTree;
pub use matrix_tree::MatrixTree;

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
