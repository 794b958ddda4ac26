//! The checks of the cancel model (ADR 0022). Run: `cargo nextest run -p domain cancel_model`
//! (add `--no-capture` to see the state counts and the paths found).

use std::time::Instant;

use stateright::{Checker, Expectation, HasDiscoveries, Model, Path};

use super::{
    Action, CancelModel, Checking, Flaws, State,
    properties::{self, Divergence, divergences},
};

/// A payment of 100 and two cancels of 60 and 50 (they do not both fit, unless one fails),
/// two dispatcher attempts, one crash; every change split into load and compare-and-set, and
/// the dispatcher free to take a message over at any moment.
fn model() -> CancelModel {
    CancelModel::new(100, &[60, 50], 2, 1)
}

/// Three cancels of 60, 40 and 50 (two of them can empty the payment), one dispatcher attempt,
/// no crash, each change one step and the dispatcher after the synchronous call: what a third
/// request adds, in a state space the size of [`model`]'s.
fn three_requests() -> CancelModel {
    CancelModel::new(100, &[60, 40, 50], 1, 0)
        .with_atomic_changes()
        .with_outbox_after_the_call()
}

/// Breadth-first on one thread until `finish`.
fn check(model: CancelModel, finish: HasDiscoveries) -> impl Checker<CancelModel> {
    model.checker().finish_when(finish).spawn_bfs().join()
}

/// A shortest path to a state where `property` (a `sometimes`) holds: breadth-first with the
/// depth bound raised one step at a time, so the first path found has the least steps (an
/// unbounded search may report a later, longer one).
fn shortest(model: &CancelModel, property: &'static str) -> Path<State, Action> {
    for depth in 2..64 {
        let checker = model
            .clone()
            .checking(Checking::One(property))
            .checker()
            .finish_when(HasDiscoveries::Any)
            .target_max_depth(depth)
            .spawn_bfs()
            .join();
        if let Some(path) = checker.discovery(property) {
            return path;
        }
    }
    panic!("\"{property}\" is not reachable within 62 steps");
}

fn steps(path: &Path<State, Action>) -> usize {
    path.clone().into_actions().len()
}

fn print_path(title: &str, path: &Path<State, Action>) {
    println!("{title} ({} steps):", steps(path));
    for (state, action) in path.clone().into_vec() {
        match action {
            Some(action) => println!("  {action:?}"),
            None => println!("  => {:?}, acquirer {:?}", state.db.row, state.acquirer),
        }
    }
}

/// Explores every state of `model` and fails on any broken invariant, printing its path.
fn assert_invariants(title: &str, model: &CancelModel) {
    let started = Instant::now();
    let checker = check(
        model.clone().checking(Checking::Only(Expectation::Always)),
        HasDiscoveries::AnyFailures,
    );
    println!(
        "{title}: {} states ({} unique), depth {}, in {:?}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        started.elapsed()
    );
    for name in properties::named(model, Expectation::Always) {
        if let Some(path) = checker.discovery(name) {
            print_path(&format!("broken: {name}"), &path);
            panic!("the cancel protocol breaks \"{name}\"");
        }
    }
    assert!(
        checker.unique_state_count() > 50_000,
        "the model is explored"
    );
}

/// Fails unless every `sometimes` property of `model` is reached.
fn assert_reachable(model: &CancelModel) {
    let checker = check(
        model
            .clone()
            .checking(Checking::Only(Expectation::Sometimes)),
        HasDiscoveries::All,
    );
    for name in properties::named(model, Expectation::Sometimes) {
        assert!(checker.discovery(name).is_some(), "never reached: {name}");
    }
}

#[test]
fn every_interleaving_of_two_cancels_with_a_crash_keeps_every_invariant() {
    assert_invariants("two requests", &model());
}

#[test]
fn every_interleaving_of_three_concurrent_cancels_keeps_every_invariant() {
    assert_invariants("three requests", &three_requests());
}

#[test]
fn every_outcome_of_a_cancel_is_reachable() {
    assert_reachable(&model());
    assert_reachable(&three_requests());
}

/// The shortest path of `model` to a disagreement with the acquirer, checked to be of the
/// accepted kind.
fn shortest_divergence(title: &str, model: &CancelModel) -> usize {
    let path = shortest(model, properties::DIVERGES);
    print_path(title, &path);
    let found = divergences(path.last_state());
    assert!(
        found.iter().all(Divergence::is_given_up_after_timeouts),
        "{found:?}"
    );
    steps(&path)
}

#[test]
fn the_only_disagreement_with_the_acquirer_is_a_cancel_given_up_after_timeouts() {
    // Reserved; before the synchronous call is made (a stalled request), the dispatcher's
    // first attempt never arrives, its second is carried out and its answer lost: given up.
    assert_eq!(shortest_divergence("shortest divergence", &model()), 9);
    // With the service's timing: the synchronous call never arrives (202), nor the first
    // attempt; the second is carried out and its answer lost: given up.
    let timed = model().with_outbox_after_the_call();
    assert_eq!(shortest_divergence("with the timing", &timed), 10);
}

#[test]
fn the_acquirer_is_asked_beyond_the_amount_only_after_a_given_up_cancel() {
    let path = shortest(&model(), properties::OVER_CANCELED);
    print_path("shortest over-cancel", &path);
    let found = divergences(path.last_state());
    assert!(
        found.iter().any(Divergence::is_given_up_after_timeouts),
        "{found:?}"
    );
}

/// Whether the checker finds a state of the model with `flaws` that breaks `invariant` (the
/// search stops at the first).
fn breaks(flaws: Flaws, invariant: &'static str) -> bool {
    let checker = check(
        model().with_flaws(flaws).checking(Checking::One(invariant)),
        HasDiscoveries::AnyFailures,
    );
    let path = checker.discovery(invariant);
    if let Some(path) = &path {
        print_path(&format!("broken: {invariant}"), path);
    }
    path.is_some()
}

/// One test per deliberate flaw: the checker finds the invariant it breaks.
macro_rules! flaw_breaks {
    ($($test:ident: $flaw:ident breaks $invariant:ident;)*) => {$(
        #[test]
        fn $test() {
            let flaws = Flaws {
                $flaw: true,
                ..Flaws::default()
            };
            assert!(breaks(flaws, properties::$invariant));
        }
    )*};
}

flaw_breaks! {
    a_reservation_written_without_its_version_check_lets_the_acquirer_cancel_too_much:
        reserve_without_version_check breaks ACQUIRER_AMOUNT;
    a_settlement_written_without_its_version_check_applies_a_cancel_twice:
        settle_without_version_check breaks ONE_TRANSITION;
    a_retry_under_a_fresh_cancel_id_makes_the_acquirer_cancel_twice:
        fresh_cancel_id_per_call breaks ACQUIRER_ONCE;
    an_acquirer_that_reverses_a_refusal_would_contradict_a_refused_cancel:
        acquirer_may_reverse_a_refusal breaks ONLY_GIVEN_UP_DIVERGES;
}
