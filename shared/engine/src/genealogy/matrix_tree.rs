//! The matrix placement tree (spec §8, `plan.matrix.width`): under the sponsor while it has room,
//! else the first open node of a breadth-first search of its matrix subtree.

use super::NONE;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct MatrixTree {
    pub(super) width: usize,
    pub parent: Vec<u32>,
    pub children: Vec<Vec<u32>>,
    /// Per full sponsor, the breadth-first search left where it found the last open node. Nodes
    /// only ever gain children, so a node found full stays full and the search can resume.
    pub(super) cursors: FxHashMap<u32, VecDeque<u32>>,
}

impl MatrixTree {
    pub(super) fn add(&mut self, me: u32, sponsor: u32) {
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
