//! Matching the two sides of a day: the acquirer's file is held (it is what was fetched), and
//! SimplePG's own lines are offered one at a time, so storage can stream them in pages.

use std::collections::HashMap;

use super::{AcquirerLine, Discrepancy, MatchKey, OwnLine};

/// The acquirer's lines not matched yet, found by key; lines with the same key (a file listing
/// a movement twice) wait in file order, each matching one of SimplePG's.
pub struct Matcher {
    theirs: HashMap<MatchKey, Vec<(usize, AcquirerLine)>>,
    matched: u64,
    mismatched: Vec<Discrepancy>,
    missing_at_acquirer: Vec<Discrepancy>,
}

/// What a day's comparison came to.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct MatchOutcome {
    pub matched: u64,
    /// Amount mismatches, then lines missing at the acquirer (each in the order offered), then
    /// lines missing at SimplePG (in file order).
    pub discrepancies: Vec<Discrepancy>,
}

impl Matcher {
    /// A matcher holding the acquirer's file.
    pub fn new(file: Vec<AcquirerLine>) -> Self {
        let mut theirs: HashMap<MatchKey, Vec<(usize, AcquirerLine)>> = HashMap::new();
        for (position, line) in file.into_iter().enumerate() {
            theirs.entry(line.key()).or_default().push((position, line));
        }
        for lines in theirs.values_mut() {
            // Taken from the end: the first in the file is matched first.
            lines.reverse();
        }
        Self {
            theirs,
            matched: 0,
            mismatched: Vec::new(),
            missing_at_acquirer: Vec::new(),
        }
    }

    /// Compares one of SimplePG's lines with the acquirer's line of the same movement.
    pub fn offer(&mut self, ours: OwnLine) {
        let theirs = ours.key().and_then(|key| {
            let waiting = self.theirs.get_mut(&key)?;
            let line = waiting.pop();
            if waiting.is_empty() {
                self.theirs.remove(&key);
            }
            line
        });
        match theirs {
            None => self
                .missing_at_acquirer
                .push(Discrepancy::MissingAtAcquirer(ours)),
            Some((_, theirs)) if theirs.amount == ours.amount => self.matched += 1,
            Some((_, theirs)) => self.mismatched.push(Discrepancy::AmountMismatch {
                ours,
                acquirer_amount: theirs.amount,
            }),
        }
    }

    /// Every acquirer line left unmatched is missing at SimplePG.
    pub fn finish(self) -> MatchOutcome {
        let mut left: Vec<(usize, AcquirerLine)> = self.theirs.into_values().flatten().collect();
        left.sort_by_key(|(position, _)| *position);
        let mut discrepancies = self.mismatched;
        discrepancies.extend(self.missing_at_acquirer);
        discrepancies.extend(
            left.into_iter()
                .map(|(_, line)| Discrepancy::MissingAtSimplePg(line)),
        );
        MatchOutcome {
            matched: self.matched,
            discrepancies,
        }
    }
}
