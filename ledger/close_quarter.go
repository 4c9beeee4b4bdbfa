package ledger

import (
	"context"
	"sort"

	"github.com/arkeep/arkeep/domain"
)

// closeQuarter records the close on the ledger scope, then settles each account's
// funds of the quarter and each bounty as separate commits with derived ids. The
// fan-out runs again whenever the same CloseQuarter is submitted again, so a crash in
// the middle is completed by a retry, and nothing is recorded twice.
func (s *Service) closeQuarter(ctx context.Context, c *domain.CloseQuarter, hash string) (Result, error) {
	res, err := s.commit(ctx, "", c.ID, hash, func(b *domain.Books) ([]domain.Event, error) {
		return b.Ledger().DecideClose(c)
	}, nil)
	if err != nil {
		return res, err
	}
	if err := s.settleQuarter(ctx, c.Quarter); err != nil {
		return res, err
	}
	return res, nil
}

// SettleQuarter completes the per-account steps of a closed quarter (idempotent).
func (s *Service) settleQuarter(ctx context.Context, q domain.Quarter) error {
	var closeOn domain.Date
	var customers []string
	s.View(func(b *domain.Books) {
		closeOn = b.Ledger().ClosedQuarters()[q]
		for _, a := range b.Accounts() {
			if a.HasFundsIn(q) {
				customers = append(customers, a.ID())
			}
		}
	})
	for _, cust := range customers {
		if _, err := s.commit(ctx, cust, "arkeep:close:"+q.String(), processHash, func(b *domain.Books) ([]domain.Event, error) {
			return b.Account(cust).DecideClose(q, closeOn), nil
		}, nil); err != nil {
			return err
		}
	}
	// Bounties: read each violator's recorded forfeits, so that a forfeit recorded
	// before a crash still gets its bounty.
	type bounty struct {
		violator string
		f        domain.FundForfeited
	}
	var bounties []bounty
	s.View(func(b *domain.Books) {
		for _, cust := range customers {
			a, _ := b.Existing(cust)
			for k, o := range a.FundOutcomes() {
				if k.Quarter == q && o.Forfeited != nil && o.Forfeited.Reporter != "" {
					bounties = append(bounties, bounty{cust, *o.Forfeited})
				}
			}
		}
	})
	sort.Slice(bounties, func(i, j int) bool {
		if bounties[i].violator != bounties[j].violator {
			return bounties[i].violator < bounties[j].violator
		}
		return bounties[i].f.Currency.Code() < bounties[j].f.Currency.Code()
	})
	for _, bt := range bounties {
		id := "arkeep:" + domain.BountyID(q, bt.violator, bt.f.Currency)
		if _, err := s.commit(ctx, bt.f.Reporter, id, processHash, func(b *domain.Books) ([]domain.Event, error) {
			return b.Account(bt.f.Reporter).DecideBounty(bt.f, bt.violator), nil
		}, nil); err != nil {
			return err
		}
	}
	return nil
}
