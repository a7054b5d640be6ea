//! The pallet's logic: domains, pools and bonds, and an optimum's life (submission, draw,
//! commit, reveal, verdict or escalation).

use crate::{
    commit_hash, distance, lower_median, quorum_size, ActiveParams, BalanceOf, Ballot, Ballots,
    Config, Direction, Domain, DomainId, Domains, DrawQueue, DrawQueueItems, Error,
    EscalationReason, EvaluatorDomains, Event, HoldReason, LinkedAccounts, Member, Members,
    NextDomainId, NextOptimumId, Optimum, OptimumId, OptimumOf, Optimums, Outcome, Pallet, Phase,
    Pools, QuorumRandomness, Round, VerdictQueue, VerdictQueueItems, WeightInfo,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
    dispatch::DispatchResult,
    ensure,
    traits::{
        fungible::{InspectHold, MutateHold},
        tokens::{Fortitude, Precision, Restriction},
        Get,
    },
    weights::Weight,
    BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_reputation::{ReputationHandler, Role};
use sp_core::H256;
use sp_runtime::{
    traits::{Saturating, Zero},
    Perbill,
};

/// The tag of the randomness subject of a quorum draw.
const DRAW_TAG: &[u8] = b"echonet/domains/quorum";

impl<T: Config> Pallet<T> {
    pub(crate) fn do_register_domain(
        name: BoundedVec<u8, T::MaxNameLen>,
        direction: Direction,
        spec_hash: H256,
        tolerance: u64,
        reward_weight: u32,
        min_share: Perbill,
    ) -> Result<DomainId, Error<T>> {
        let domain = NextDomainId::<T>::get();
        ensure!(domain < T::MaxDomains::get(), Error::<T>::TooManyDomains);
        ensure!(reward_weight > 0, Error::<T>::ZeroRewardWeight);
        let params = ActiveParams::<T>::get();
        Domains::<T>::insert(
            domain,
            Domain {
                name: name.clone(),
                direction,
                spec_hash,
                tolerance,
                reward_weight,
                min_share,
                best: None,
                open: 0,
                eval_share: params.initial_eval_share,
                demand_epoch: 0,
                demanded: 0,
            },
        );
        NextDomainId::<T>::put(domain.saturating_add(1));
        Self::deposit_event(Event::DomainRegistered {
            domain,
            name,
            direction,
            spec_hash,
            tolerance,
        });
        Ok(domain)
    }

    pub(crate) fn do_join(
        who: T::AccountId,
        domain: DomainId,
        bond: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(
            Domains::<T>::contains_key(domain),
            Error::<T>::UnknownDomain
        );
        ensure!(
            !Members::<T>::contains_key(domain, &who),
            Error::<T>::AlreadyMember
        );
        ensure!(
            bond >= ActiveParams::<T>::get().min_bond,
            Error::<T>::BondTooLow
        );
        ensure!(
            Pools::<T>::get(domain).size < T::MaxEvaluatorsPerDomain::get(),
            Error::<T>::PoolFull
        );
        let mut domains = EvaluatorDomains::<T>::get(&who);
        domains
            .try_push(domain)
            .map_err(|_| Error::<T>::TooManyPools)?;
        Self::hold(HoldReason::EvaluatorBond, &who, bond)?;
        EvaluatorDomains::<T>::insert(&who, domains);
        let slot = Self::pool_append(domain, &who, Self::weight_of(&who, bond));
        Members::<T>::insert(
            domain,
            &who,
            Member {
                slot,
                bond,
                serving: 0,
            },
        );
        Self::deposit_event(Event::Joined { domain, who, bond });
        Ok(())
    }

    pub(crate) fn do_bond_more(
        who: T::AccountId,
        domain: DomainId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        let mut m = Members::<T>::get(domain, &who).ok_or(Error::<T>::NotMember)?;
        Self::hold(HoldReason::EvaluatorBond, &who, amount)?;
        m.bond = m.bond.saturating_add(amount);
        let bond = m.bond;
        Members::<T>::insert(domain, &who, m);
        Self::refresh(domain, &who);
        Self::deposit_event(Event::BondChanged { domain, who, bond });
        Ok(())
    }

    pub(crate) fn do_unbond(
        who: T::AccountId,
        domain: DomainId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        let mut m = Members::<T>::get(domain, &who).ok_or(Error::<T>::NotMember)?;
        ensure!(m.serving == 0, Error::<T>::StillServing);
        let left = m.bond.saturating_sub(amount);
        ensure!(
            amount <= m.bond && left >= ActiveParams::<T>::get().min_bond,
            Error::<T>::BondTooLow
        );
        Self::release(HoldReason::EvaluatorBond, &who, amount)?;
        m.bond = left;
        Members::<T>::insert(domain, &who, m);
        Self::refresh(domain, &who);
        Self::deposit_event(Event::BondChanged {
            domain,
            who,
            bond: left,
        });
        Ok(())
    }

    pub(crate) fn do_leave(who: T::AccountId, domain: DomainId) -> DispatchResult {
        let m = Members::<T>::get(domain, &who).ok_or(Error::<T>::NotMember)?;
        ensure!(m.serving == 0, Error::<T>::StillServing);
        Self::release_bond(&who, m.bond)?;
        Self::pool_remove(domain, m.slot);
        Members::<T>::remove(domain, &who);
        EvaluatorDomains::<T>::mutate_exists(&who, |d| {
            if let Some(list) = d {
                list.retain(|x| *x != domain);
                if list.is_empty() {
                    *d = None;
                }
            }
        });
        Self::deposit_event(Event::Left {
            domain,
            who,
            released: m.bond,
        });
        Ok(())
    }

    /// Releases up to `amount` of `who`'s bond hold (a slash may have taken part of it
    /// outside the member record only if storage was corrupted; release what is there).
    fn release_bond(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        let reason = HoldReason::EvaluatorBond.into();
        let held = T::Currency::balance_on_hold(&reason, who);
        T::Currency::release(&reason, who, amount.min(held), Precision::Exact)?;
        Ok(())
    }

    pub(crate) fn do_submit(
        who: T::AccountId,
        domain: DomainId,
        content_hash: H256,
        claimed: i64,
    ) -> DispatchResult {
        let mut d = Domains::<T>::get(domain).ok_or(Error::<T>::UnknownDomain)?;
        ensure!(
            d.open < T::MaxOpenOptimums::get(),
            Error::<T>::TooManyOpenOptimums
        );
        if let Some(best) = d.best {
            ensure!(
                d.direction.better(claimed, best),
                Error::<T>::NotAnImprovement
            );
        }
        let params = ActiveParams::<T>::get();
        let deposit = params.optimum_deposit;
        if !deposit.is_zero() {
            Self::hold(HoldReason::OptimumDeposit, &who, deposit)?;
        }
        let id = NextOptimumId::<T>::get();
        NextOptimumId::<T>::put(id.saturating_add(1));
        let now = frame_system::Pallet::<T>::block_number();
        let at = now.saturating_add(params.draw_delay);
        Optimums::<T>::insert(
            id,
            Optimum {
                domain,
                optimizer: who.clone(),
                content_hash,
                claimed,
                deposit,
                round: 0,
                phase: Phase::AwaitingDraw { at },
                quorum: 0,
            },
        );
        d.open = d.open.saturating_add(1);
        Domains::<T>::insert(domain, d);
        Self::push_draw(id, 0);
        Self::deposit_event(Event::OptimumSubmitted {
            optimum: id,
            domain,
            optimizer: who,
            content_hash,
            claimed_score: claimed,
            draw_at: at,
        });
        Ok(())
    }

    fn voting_windows(
        o: &OptimumOf<T>,
    ) -> Result<(BlockNumberFor<T>, BlockNumberFor<T>), Error<T>> {
        match o.phase {
            Phase::Voting {
                commit_until,
                reveal_until,
            } => Ok((commit_until, reveal_until)),
            Phase::AwaitingDraw { .. } => Err(Error::<T>::NotVoting),
        }
    }

    pub(crate) fn do_commit(who: T::AccountId, id: OptimumId, hash: H256) -> DispatchResult {
        let o = Optimums::<T>::get(id).ok_or(Error::<T>::UnknownOptimum)?;
        let (commit_until, _) = Self::voting_windows(&o)?;
        ensure!(
            frame_system::Pallet::<T>::block_number() < commit_until,
            Error::<T>::CommitWindowClosed
        );
        Ballots::<T>::try_mutate((id, o.round), &who, |b| -> DispatchResult {
            let b = b.as_mut().ok_or(Error::<T>::NotInQuorum)?;
            ensure!(b.commit.is_none(), Error::<T>::AlreadyCommitted);
            b.commit = Some(hash);
            Ok(())
        })?;
        Self::deposit_event(Event::Committed {
            optimum: id,
            round: o.round,
            who,
        });
        Ok(())
    }

    pub(crate) fn do_reveal(
        who: T::AccountId,
        id: OptimumId,
        score: i64,
        salt: [u8; 32],
    ) -> DispatchResult {
        let o = Optimums::<T>::get(id).ok_or(Error::<T>::UnknownOptimum)?;
        let (commit_until, reveal_until) = Self::voting_windows(&o)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now >= commit_until, Error::<T>::RevealWindowNotOpen);
        ensure!(now < reveal_until, Error::<T>::RevealWindowClosed);
        Ballots::<T>::try_mutate((id, o.round), &who, |b| -> DispatchResult {
            let b = b.as_mut().ok_or(Error::<T>::NotInQuorum)?;
            let commit = b.commit.ok_or(Error::<T>::NotCommitted)?;
            ensure!(b.revealed.is_none(), Error::<T>::AlreadyRevealed);
            ensure!(
                commit_hash(id, o.round, score, &salt, &who) == commit,
                Error::<T>::CommitMismatch
            );
            b.revealed = Some(score);
            Ok(())
        })?;
        Self::deposit_event(Event::Revealed {
            optimum: id,
            round: o.round,
            who,
            score,
        });
        Ok(())
    }

    fn push_draw(id: OptimumId, round: Round) {
        DrawQueue::<T>::mutate(|q| {
            DrawQueueItems::<T>::insert(q.tail, (id, round));
            q.tail = q.tail.saturating_add(1);
        });
    }

    fn push_verdict(id: OptimumId, round: Round) {
        VerdictQueue::<T>::mutate(|q| {
            VerdictQueueItems::<T>::insert(q.tail, (id, round));
            q.tail = q.tail.saturating_add(1);
        });
    }

    /// `on_initialize`: draws the quorums due, at most `max_draws_per_block` (stale entries
    /// count too), and none after the first once `budget` is used up. Stops at the first
    /// entry not yet due: entries are in due order while the parameters stay the same
    /// (after a change, an entry may wait behind a later one).
    pub(crate) fn draw_hook(now: BlockNumberFor<T>, budget: Weight) -> Weight {
        let max = ActiveParams::<T>::get().max_draws_per_block;
        let mut q = DrawQueue::<T>::get();
        let mut weight = Weight::zero();
        let mut done = 0u32;
        while done < max && q.head < q.tail && (done == 0 || !weight.any_gt(budget)) {
            let Some((id, round)) = DrawQueueItems::<T>::get(q.head) else {
                q.head = q.head.saturating_add(1);
                done += 1;
                continue;
            };
            match Optimums::<T>::get(id) {
                Some(o) if o.round == round => match o.phase {
                    Phase::AwaitingDraw { at } if at > now => break,
                    Phase::AwaitingDraw { .. } => {
                        let seats = Self::draw_quorum(id, o, now);
                        weight.saturating_accrue(T::WeightInfo::draw_quorum(seats));
                    }
                    Phase::Voting { .. } => {
                        weight.saturating_accrue(T::WeightInfo::skip_stale());
                    }
                },
                _ => weight.saturating_accrue(T::WeightInfo::skip_stale()),
            }
            DrawQueueItems::<T>::remove(q.head);
            q.head = q.head.saturating_add(1);
            done += 1;
        }
        DrawQueue::<T>::put(q);
        weight
    }

    /// `on_initialize`: closes the rounds whose reveal window is over, at most
    /// `max_verdicts_per_block`, and none after the first once `budget` is used up.
    pub(crate) fn verdict_hook(now: BlockNumberFor<T>, budget: Weight) -> Weight {
        let max = ActiveParams::<T>::get().max_verdicts_per_block;
        let mut q = VerdictQueue::<T>::get();
        let mut weight = Weight::zero();
        let mut done = 0u32;
        while done < max && q.head < q.tail && (done == 0 || !weight.any_gt(budget)) {
            let Some((id, round)) = VerdictQueueItems::<T>::get(q.head) else {
                q.head = q.head.saturating_add(1);
                done += 1;
                continue;
            };
            match Optimums::<T>::get(id) {
                Some(o) if o.round == round => match o.phase {
                    Phase::Voting { reveal_until, .. } if reveal_until > now => break,
                    Phase::Voting { .. } => {
                        let seats = Self::close_round(id, o);
                        weight.saturating_accrue(T::WeightInfo::finalize(seats));
                    }
                    Phase::AwaitingDraw { .. } => {
                        weight.saturating_accrue(T::WeightInfo::skip_stale());
                    }
                },
                _ => weight.saturating_accrue(T::WeightInfo::skip_stale()),
            }
            VerdictQueueItems::<T>::remove(q.head);
            q.head = q.head.saturating_add(1);
            done += 1;
        }
        VerdictQueue::<T>::put(q);
        weight
    }

    /// Draws the quorum of `o`'s current round now. Returns the number of seats.
    pub(crate) fn draw_quorum(id: OptimumId, o: OptimumOf<T>, now: BlockNumberFor<T>) -> u32 {
        let pool = Pools::<T>::get(o.domain);
        let k = quorum_size(pool.size, o.round, T::MaxQuorum::get());
        Self::draw_quorum_of(id, o, now, k)
    }

    /// Draws a quorum of up to `k` seats for `o`'s current round now.
    pub(crate) fn draw_quorum_of(
        id: OptimumId,
        mut o: OptimumOf<T>,
        now: BlockNumberFor<T>,
        k: u32,
    ) -> u32 {
        let params = ActiveParams::<T>::get();
        let mut exclude = T::Linked::linked(&o.optimizer);
        exclude.truncate(T::MaxLinked::get() as usize);
        exclude.push(o.optimizer.clone());
        let seed = T::Randomness::seed(&(DRAW_TAG, id, o.round).encode());
        let drawn = Self::draw(o.domain, k, &exclude, &seed);
        let seats = drawn.len() as u32;
        if drawn.is_empty() {
            // Nobody can evaluate it: no evidence either way.
            Self::close_optimum(id, o, Outcome::Undecided, None);
            return 0;
        }
        for who in &drawn {
            Ballots::<T>::insert((id, o.round), who, Ballot::default());
            Members::<T>::mutate(o.domain, who, |m| {
                if let Some(m) = m {
                    m.serving = m.serving.saturating_add(1);
                }
            });
        }
        let epoch = crate::CurrentEpoch::<T>::get().index;
        Domains::<T>::mutate(o.domain, |d| {
            if let Some(d) = d {
                if d.demand_epoch != epoch {
                    d.demand_epoch = epoch;
                    d.demanded = 0;
                }
                d.demanded = d.demanded.saturating_add(seats);
            }
        });
        let commit_until = now.saturating_add(params.commit_window);
        let reveal_until = commit_until.saturating_add(params.reveal_window);
        o.phase = Phase::Voting {
            commit_until,
            reveal_until,
        };
        o.quorum = seats;
        let (domain, content_hash, round) = (o.domain, o.content_hash, o.round);
        Optimums::<T>::insert(id, o);
        Self::push_verdict(id, round);
        Self::deposit_event(Event::QuorumDrawn {
            optimum: id,
            domain,
            content_hash,
            round,
            // `k ≤ MaxQuorum`, so this never truncates.
            members: BoundedVec::truncate_from(drawn),
            commit_until,
            reveal_until,
        });
        seats
    }

    /// Closes the current round of `o` (its reveal window is over): penalises its
    /// non-revealers, then escalates or decides. Returns the number of ballots handled (this
    /// round's, plus round 0's again when round 1 decides): at most `2 × MaxQuorum`.
    pub(crate) fn close_round(id: OptimumId, mut o: OptimumOf<T>) -> u32 {
        let params = ActiveParams::<T>::get();
        let round = o.round;
        let ballots: Vec<(T::AccountId, Ballot)> = Ballots::<T>::iter_prefix((id, round)).collect();
        let seats = ballots.len() as u32;
        let mut scores: Vec<i64> = Vec::with_capacity(ballots.len());
        for (who, b) in &ballots {
            Members::<T>::mutate(o.domain, who, |m| {
                if let Some(m) = m {
                    m.serving = m.serving.saturating_sub(1);
                }
            });
            match b.revealed {
                Some(score) => scores.push(score),
                None => Self::penalize_non_revealer(id, o.domain, who),
            }
        }
        scores.sort_unstable();
        let Some(domain) = Domains::<T>::get(o.domain) else {
            return seats.saturating_add(Self::close_optimum(id, o, Outcome::Undecided, None));
        };
        let need = params.min_reveals.min(seats).max(1) as usize;
        let escalate = if scores.len() < need {
            Some(EscalationReason::TooFewReveals)
        } else if round > 0 {
            None
        } else if scores
            .last()
            .zip(scores.first())
            .is_some_and(|(max, min)| distance(*max, *min) > domain.tolerance.saturating_mul(2))
        {
            Some(EscalationReason::Disagreement)
        } else if Self::is_large_gain(&domain, o.claimed, params.large_gain) {
            Some(EscalationReason::LargeGain)
        } else {
            None
        };
        let closed = match escalate {
            Some(reason) if round == 0 => {
                let now = frame_system::Pallet::<T>::block_number();
                let at = now.saturating_add(params.draw_delay);
                o.round = 1;
                o.phase = Phase::AwaitingDraw { at };
                o.quorum = 0;
                Optimums::<T>::insert(id, o);
                Self::push_draw(id, 1);
                Self::deposit_event(Event::Escalated {
                    optimum: id,
                    reason,
                    draw_at: at,
                });
                0
            }
            Some(_) => Self::close_optimum(id, o, Outcome::Undecided, None),
            None => {
                let median = lower_median(&scores);
                let outcome = match median {
                    Some(m) if distance(m, o.claimed) <= domain.tolerance => Outcome::Accepted,
                    Some(_) => Outcome::Refused,
                    None => Outcome::Undecided,
                };
                Self::close_optimum(id, o, outcome, median)
            }
        };
        seats.saturating_add(closed)
    }

    /// Whether `claimed` beats the domain's best by more than `large_gain × |best|`.
    fn is_large_gain(domain: &crate::DomainOf<T>, claimed: i64, large_gain: Perbill) -> bool {
        let Some(best) = domain.best else {
            return false;
        };
        let gain = domain.direction.gain(claimed, best);
        let allowed = large_gain.mul_floor(best.unsigned_abs());
        gain > i128::from(allowed)
    }

    /// A member did not reveal: reputation penalty and `no_reveal_slash` of its bond to
    /// the treasury.
    fn penalize_non_revealer(id: OptimumId, domain: DomainId, who: &T::AccountId) {
        let params = ActiveParams::<T>::get();
        T::Reputation::penalize(who, Role::Evaluator, params.points.no_reveal);
        let mut slashed = BalanceOf::<T>::zero();
        if let Some(mut m) = Members::<T>::get(domain, who) {
            let want = params.no_reveal_slash.mul_floor(m.bond);
            if !want.is_zero() {
                slashed = T::Currency::transfer_on_hold(
                    &HoldReason::EvaluatorBond.into(),
                    who,
                    &T::TreasuryAccount::get(),
                    want,
                    Precision::BestEffort,
                    Restriction::Free,
                    Fortitude::Force,
                )
                .unwrap_or_else(|_| Zero::zero());
                m.bond = m.bond.saturating_sub(slashed);
                let bond = m.bond;
                Members::<T>::insert(domain, who, m);
                Self::deposit_event(Event::BondChanged {
                    domain,
                    who: who.clone(),
                    bond,
                });
            }
        }
        Self::refresh(domain, who);
        Self::deposit_event(Event::NonRevealerPenalized {
            optimum: id,
            who: who.clone(),
            slashed,
        });
    }

    /// Closes `o` with `outcome`: the deposit, the optimizer's reputation, the revealers'
    /// reputation and points, the domain's best and open count, the contribution; removes
    /// its ballots. Returns the number of ballots removed.
    pub(crate) fn close_optimum(
        id: OptimumId,
        o: OptimumOf<T>,
        outcome: Outcome,
        median: Option<i64>,
    ) -> u32 {
        let mut drained = 0u32;
        let params = ActiveParams::<T>::get();
        let reason = HoldReason::OptimumDeposit.into();
        match outcome {
            Outcome::Refused => {
                if !o.deposit.is_zero() {
                    let _ = T::Currency::transfer_on_hold(
                        &reason,
                        &o.optimizer,
                        &T::TreasuryAccount::get(),
                        o.deposit,
                        Precision::BestEffort,
                        Restriction::Free,
                        Fortitude::Force,
                    );
                }
                T::Reputation::penalize(&o.optimizer, Role::Optimizer, params.points.refused);
            }
            Outcome::Accepted | Outcome::Undecided => {
                if !o.deposit.is_zero() {
                    let _ = T::Currency::release(
                        &reason,
                        &o.optimizer,
                        o.deposit,
                        Precision::BestEffort,
                    );
                }
                if outcome == Outcome::Accepted {
                    T::Reputation::reward(&o.optimizer, Role::Optimizer, params.points.accepted);
                }
            }
        }
        let mut domain = Domains::<T>::get(o.domain);
        // Revealers of every round are judged against the final median.
        for round in 0..=o.round {
            let ballots: Vec<(T::AccountId, Ballot)> =
                Ballots::<T>::drain_prefix((id, round)).collect();
            drained = drained.saturating_add(ballots.len() as u32);
            let (Some(m), Some(d)) = (median, domain.as_ref()) else {
                continue;
            };
            for (who, b) in ballots {
                let Some(score) = b.revealed else {
                    continue;
                };
                let off = distance(score, m);
                if off <= d.tolerance {
                    T::Reputation::reward(&who, Role::Evaluator, params.points.agree);
                    Self::add_points(o.domain, &who, 0, 1);
                    Self::refresh_if_moved(o.domain, &who);
                } else if off > d.tolerance.saturating_mul(u64::from(params.far_factor)) {
                    T::Reputation::penalize(&who, Role::Evaluator, params.points.far);
                    Self::refresh_if_moved(o.domain, &who);
                }
            }
        }
        if let Some(d) = domain.as_mut() {
            d.open = d.open.saturating_sub(1);
            if outcome == Outcome::Accepted {
                if let Some(m) = median {
                    if d.best.is_none_or(|b| d.direction.better(m, b)) {
                        d.best = Some(m);
                    }
                }
            }
        }
        if outcome == Outcome::Accepted {
            if let Some(d) = domain.as_ref() {
                Self::record_contribution(o.domain, d, &o.optimizer);
            }
        }
        if let Some(d) = domain {
            Domains::<T>::insert(o.domain, d);
        }
        Optimums::<T>::remove(id);
        Self::deposit_event(Event::OptimumClosed {
            optimum: id,
            domain: o.domain,
            outcome,
            median,
            claimed_score: o.claimed,
        });
        drained
    }
}
