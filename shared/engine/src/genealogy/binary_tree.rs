//! The binary placement tree (spec §8, `plan.binary.placement`): explicit placements,
//! `extreme_left`/`extreme_right` spines, `weaker_leg` and `alternate`.

use super::NONE;
use crate::plan::BinaryPlacement;
use crate::scenario::Leg;

#[derive(Debug, Clone)]
pub struct BinaryTree {
    pub(super) placement: BinaryPlacement,
    pub parent: Vec<u32>,
    pub left: Vec<u32>,
    pub right: Vec<u32>,
    /// Subtree sizes, maintained only for `weaker_leg`.
    pub(super) size: Vec<u32>,
    /// A node further down each node's left / right spine (path-compressed), so that extreme
    /// descents cost amortised near-constant time instead of the spine's length.
    pub(super) hint: [Vec<u32>; 2],
    pub(super) path: Vec<u32>,
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

    pub(super) fn add(&mut self, me: u32, sponsor: u32, k: u32, explicit: Option<(u32, Leg)>) {
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
    pub(super) fn intervals(&self) -> (Vec<u32>, Vec<u32>) {
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
