package domain_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

var policy = domain.DefaultPolicy()

func TestDefaultLadderPerGrade(t *testing.T) {
	// Given an invoice issued 2026-01-01, due 2026-01-31, nothing paid,
	// when its steps up to the ladder's last offset are listed as of the issue date,
	// then they follow the grade's ladder, all pending.
	want := map[int][]string{
		1: {"2026-01-01 notice auto", "2026-02-01 due_reminder auto", "2026-02-15 call manual",
			"2026-03-02 call manual", "2026-04-01 visit manual", "2026-05-01 escalate manual"},
		2: {"2026-01-01 notice auto", "2026-01-28 pre_due_reminder auto", "2026-02-01 due_reminder auto",
			"2026-02-07 call manual", "2026-03-02 visit manual", "2026-04-01 escalate manual"},
		3: {"2026-01-01 notice auto", "2026-01-24 pre_due_reminder auto", "2026-01-31 visit manual",
			"2026-02-03 reminder auto", "2026-02-07 call manual", "2026-02-14 reminder auto", "2026-02-21 reminder auto",
			"2026-03-02 direct_demand manual", "2026-03-17 credit_hold manual", "2026-04-01 escalate manual"},
		4: {"2026-01-01 notice auto", "2026-01-21 pre_due_reminder auto", "2026-01-28 call manual",
			"2026-01-31 visit manual", "2026-02-01 direct_demand manual", "2026-02-07 reminder auto",
			"2026-02-15 credit_hold manual", "2026-03-02 escalate manual"},
		5: {"2026-01-01 notice auto", "2026-01-17 pre_due_reminder auto", "2026-01-24 call manual",
			"2026-01-31 visit manual", "2026-02-01 direct_demand manual", "2026-02-07 credit_hold manual",
			"2026-02-14 escalate manual"},
	}
	for g := 1; g <= 5; g++ {
		t.Run(fmt.Sprint("grade ", g), func(t *testing.T) {
			f := customer(t, "C", g, "ann").invoice("I1", "2026-01-01", "2026-01-31", "1000.00")
			last := day("2026-01-31").AddDays(policy.LastOffset(g))
			steps := policy.Steps(f.Account, f.inv("I1"), day("2026-01-01"), day("2025-01-01"), last)
			var exp []string
			for _, w := range want[g] {
				date, rest, _ := strings.Cut(w, " ")
				exp = append(exp, date+" I1 "+rest+" pending")
			}
			sameLines(t, "steps", show(steps), exp)
			for _, s := range steps {
				if !strings.HasPrefix(s.Why, fmt.Sprintf("grade %d ladder default-1: ", g)) {
					t.Errorf("why %q", s.Why)
				}
				if s.Customer != "C" {
					t.Errorf("customer %q", s.Customer)
				}
			}
			// The window is inclusive at both ends and cuts exactly.
			inner := policy.Steps(f.Account, f.inv("I1"), day("2026-01-01"), day("2026-01-02"), last.AddDays(-1))
			if len(inner) != len(exp)-2 {
				t.Errorf("window [issue+1, last-1]: %v", show(inner))
			}
		})
	}
}

func TestStepIdentityAndStatusNames(t *testing.T) {
	s := domain.Step{Invoice: "I1", Action: domain.ActCall, Date: day("2026-02-15")}
	if s.ID() != "I1/call/2026-02-15" {
		t.Errorf("id %q", s.ID())
	}
	s = domain.Step{Invoice: "I1", Action: domain.ActShortPaymentNotice, Date: day("2026-02-15"), Payment: "P9"}
	if s.ID() != "I1/short_payment_notice/P9" {
		t.Errorf("id %q", s.ID())
	}
	for _, n := range []string{"pending", "done", "cancelled", "suspended"} {
		st, err := domain.ParseStepStatus(n)
		if err != nil || st.String() != n {
			t.Errorf("%s: %v %v", n, st, err)
		}
	}
	if _, err := domain.ParseStepStatus("open"); err == nil {
		t.Error("open accepted")
	}
}

func TestStepBeforeIssueDateIsDropped(t *testing.T) {
	// Given grade 5 and an invoice issued 2026-01-17 due 2026-01-31: pre_due (-14) falls
	// on the issue date itself and is kept; with issue 2026-01-18 it falls before and is
	// dropped; the -7 call stays.
	for _, c := range []struct {
		issued string
		want   []string
	}{
		{"2026-01-17", []string{"2026-01-17 I1 notice auto pending", "2026-01-17 I1 pre_due_reminder auto pending", "2026-01-24 I1 call manual pending"}},
		{"2026-01-18", []string{"2026-01-18 I1 notice auto pending", "2026-01-24 I1 call manual pending"}},
	} {
		f := customer(t, "C", 5, "ann").invoice("I1", c.issued, "2026-01-31", "10.00")
		got := policy.Steps(f.Account, f.inv("I1"), day(c.issued), day("2025-01-01"), day("2026-01-30"))
		sameLines(t, "issued "+c.issued, show(got), c.want)
	}
	// An invoice issued after the as-of date has no steps yet.
	f := customer(t, "C", 5, "ann").invoice("I1", "2026-01-18", "2026-01-31", "10.00")
	if got := policy.Steps(f.Account, f.inv("I1"), day("2026-01-17"), day("2025-01-01"), day("2027-01-01")); got != nil {
		t.Errorf("steps before issue: %v", show(got))
	}
	if got := policy.AccountSteps(f.Account, day("2026-01-17"), day("2025-01-01"), day("2027-01-01")); got != nil {
		t.Errorf("account steps before issue: %v", show(got))
	}
}

func TestReminderRepeatsEvery30DaysAfterLastOffset(t *testing.T) {
	// Given grade 5 (last offset +14) and due 2026-01-31: the ladder ends 2026-02-14,
	// then an automatic reminder falls on 03-16, 04-15, 05-15, ... (not on 03-15).
	f := customer(t, "C", 5, "ann").invoice("I1", "2026-01-01", "2026-01-31", "10.00")
	got := policy.Steps(f.Account, f.inv("I1"), day("2026-01-01"), day("2026-02-15"), day("2026-05-15"))
	sameLines(t, "repeats", show(got), []string{
		"2026-03-16 I1 reminder auto pending",
		"2026-04-15 I1 reminder auto pending",
		"2026-05-15 I1 reminder auto pending",
	})
	if !strings.Contains(got[1].Why, "every 30 days after +14 (#2)") {
		t.Errorf("why %q", got[1].Why)
	}
	// Never give up: far windows still have them, computed without walking from the start.
	got = policy.Steps(f.Account, f.inv("I1"), day("2026-01-01"), day("2030-01-01"), day("2030-02-28"))
	for _, s := range got {
		if s.Action != domain.ActReminder || (int(s.Date)-int(day("2026-02-14")))%30 != 0 {
			t.Errorf("unexpected %v", show([]domain.Step{s}))
		}
	}
	if len(got) != 2 {
		t.Errorf("far window: %v", show(got))
	}
	// With the default 30-day terms and grade 1 (+90), the first repeat is due+120.
	f = customer(t, "C", 1, "ann").invoice("I1", "2026-01-01", "2026-01-31", "10.00")
	got = only(policy.Steps(f.Account, f.inv("I1"), day("2026-01-01"), day("2026-01-01"), day("2026-06-30")), domain.ActReminder)
	sameLines(t, "grade 1 repeats", show(got), []string{"2026-05-31 I1 reminder auto pending", "2026-06-30 I1 reminder auto pending"})
}

func TestGradeChangeSwitchesLadderMidway(t *testing.T) {
	// Given grade 1 and an assessment to grade 3 effective 2026-02-14, due 2026-01-31:
	// dates before 02-14 use grade 1's ladder, dates from 02-14 on grade 3's.
	f := customer(t, "C", 1, "ann").invoice("I1", "2026-01-01", "2026-01-31", "10.00").assess("2026-02-14", 3)
	got := policy.Steps(f.Account, f.inv("I1"), day("2026-01-01"), day("2025-01-01"), day("2026-05-31"))
	sameLines(t, "switch", show(got), []string{
		"2026-01-01 I1 notice auto pending",       // grade 1
		"2026-02-01 I1 due_reminder auto pending", // grade 1 (+1)
		// grade 3's +7 call (02-07) is in grade 1's time: dropped; grade 1's +15 call (02-15) is in grade 3's time: dropped.
		"2026-02-14 I1 reminder auto pending", // grade 3 +14, on the assessment day
		"2026-02-21 I1 reminder auto pending",
		"2026-03-02 I1 direct_demand manual pending",
		"2026-03-17 I1 credit_hold manual pending",
		"2026-04-01 I1 escalate manual pending",
		"2026-05-01 I1 reminder auto pending", // grade 3 repeats after +60
		"2026-05-31 I1 reminder auto pending",
	})
	if s := find(t, got, "2026-03-02", domain.ActDirectDemand); !strings.HasPrefix(s.Why, "grade 3 ladder default-1: +30 direct_demand from due 2026-01-31") {
		t.Errorf("why %q", s.Why)
	}
}

func TestBadDebtReviewOnDoubtfulDay(t *testing.T) {
	// Given due 2026-08-31 (doubtful from 2027-03-01), a manual bad_debt_review falls on
	// 2027-03-01, not on 2027-02-28.
	f := customer(t, "C", 1, "ann").invoice("I1", "2026-08-01", "2026-08-31", "10.00")
	got := only(policy.Steps(f.Account, f.inv("I1"), day("2027-03-01"), day("2027-01-01"), day("2027-04-01")), domain.ActBadDebtReview)
	sameLines(t, "review", show(got), []string{"2027-03-01 I1 bad_debt_review manual pending"})
	// It follows the effective due date as of D.
	f = customer(t, "C", 1, "ann").invoice("I1", "2026-01-01", "2026-01-31", "10.00").extend("I1", "2026-01-20", "2026-03-31")
	got = only(policy.Steps(f.Account, f.inv("I1"), day("2026-02-01"), day("2026-01-01"), day("2027-01-01")), domain.ActBadDebtReview)
	sameLines(t, "review after extension", show(got), []string{"2026-10-01 I1 bad_debt_review manual pending"})
	got = only(policy.Steps(f.Account, f.inv("I1"), day("2026-01-19"), day("2026-01-01"), day("2027-01-01")), domain.ActBadDebtReview)
	sameLines(t, "review before extension", show(got), []string{"2026-08-01 I1 bad_debt_review manual pending"})
}

func TestCancelledAfterPaymentInFull(t *testing.T) {
	// Given grade 2, due 2026-01-31, the notice sent, paid in full on 2026-02-05.
	f := customer(t, "C", 2, "ann").invoice("I1", "2026-01-01", "2026-01-31", "100.00")
	f.sent("2026-01-01", domain.Step{Invoice: "I1", Action: domain.ActNotice, Date: day("2026-01-01")})
	f.pay("P1", "2026-02-05", "I1", "100.00")
	window := func(asOf string) []string {
		return show(policy.Steps(f.Account, f.inv("I1"), day(asOf), day("2026-01-01"), day("2026-03-02")))
	}
	// As of 02-04 the payment does not count yet.
	sameLines(t, "as of 02-04", window("2026-02-04"), []string{
		"2026-01-01 I1 notice auto done",
		"2026-01-28 I1 pre_due_reminder auto pending",
		"2026-02-01 I1 due_reminder auto pending",
		"2026-02-07 I1 call manual pending",
		"2026-03-02 I1 visit manual pending",
	})
	// As of 02-05: every step not performed is cancelled; done stays done.
	sameLines(t, "as of 02-05", window("2026-02-05"), []string{
		"2026-01-01 I1 notice auto done",
		"2026-01-28 I1 pre_due_reminder auto cancelled",
		"2026-02-01 I1 due_reminder auto cancelled",
		"2026-02-07 I1 call manual cancelled",
		"2026-03-02 I1 visit manual cancelled",
	})
	// No short-payment notice for a payment that settles the invoice.
	if got := only(policy.Steps(f.Account, f.inv("I1"), day("2026-03-01"), day("2026-01-01"), day("2026-12-31")), domain.ActShortPaymentNotice); got != nil {
		t.Errorf("short payment: %v", show(got))
	}

	// A step on the settlement day can still be done; one after it cannot.
	g := customer(t, "C", 2, "ann").invoice("I1", "2026-01-01", "2026-01-31", "100.00")
	g.action("2026-02-07", "I1", domain.ActCall).creditNote("CN1", "2026-02-07", "I1", "100.00")
	g.action("2026-03-02", "I1", domain.ActVisit)
	got := show(only(policy.Steps(g.Account, g.inv("I1"), day("2026-03-10"), day("2026-01-01"), day("2026-03-10")), domain.ActCall, domain.ActVisit))
	sameLines(t, "settled by credit note", got, []string{
		"2026-02-07 I1 call manual done",
		"2026-03-02 I1 visit manual cancelled",
	})
	// A write-off settles too.
	h := customer(t, "C", 2, "ann").invoice("I1", "2026-01-01", "2026-01-31", "100.00").writeOff("I1", "2026-02-02")
	got = show(policy.Steps(h.Account, h.inv("I1"), day("2026-02-02"), day("2026-02-01"), day("2026-02-07")))
	sameLines(t, "written off", got, []string{
		"2026-02-01 I1 due_reminder auto cancelled",
		"2026-02-07 I1 call manual cancelled",
	})
}

func TestSuspendedWhileDisputed(t *testing.T) {
	// Given grade 3, due 2026-01-31, disputed 2026-01-31 .. resolved 2026-02-14.
	f := customer(t, "C", 3, "ann").invoice("I1", "2026-01-01", "2026-01-31", "100.00").
		dispute("I1", "2026-01-31").resolve("I1", "2026-02-14")
	steps := func(asOf string) []string {
		return show(policy.Steps(f.Account, f.inv("I1"), day(asOf), day("2026-01-24"), day("2026-03-02")))
	}
	// As of 02-10 (still disputed): steps on disputed days and every later step are suspended.
	sameLines(t, "as of 02-10", steps("2026-02-10"), []string{
		"2026-01-24 I1 pre_due_reminder auto pending",
		"2026-01-31 I1 visit manual suspended", // opening day
		"2026-02-03 I1 reminder auto suspended",
		"2026-02-07 I1 call manual suspended",
		"2026-02-14 I1 reminder auto suspended", // after D: disputed on D
		"2026-02-21 I1 reminder auto suspended",
		"2026-03-02 I1 direct_demand manual suspended",
	})
	// As of 02-20: resumed; the step on the resolution day is not suspended, the ones
	// before it stay suspended (they are not sent later).
	sameLines(t, "as of 02-20", steps("2026-02-20"), []string{
		"2026-01-24 I1 pre_due_reminder auto pending",
		"2026-01-31 I1 visit manual suspended",
		"2026-02-03 I1 reminder auto suspended",
		"2026-02-07 I1 call manual suspended",
		"2026-02-14 I1 reminder auto pending",
		"2026-02-21 I1 reminder auto pending",
		"2026-03-02 I1 direct_demand manual pending",
	})
	// A suspended step can not be completed by a later action, and settling cancels
	// suspended steps too.
	f.action("2026-02-20", "I1", domain.ActCall).pay("P1", "2026-02-25", "I1", "100.00")
	sameLines(t, "settled", show(only(policy.Steps(f.Account, f.inv("I1"), day("2026-02-25"), day("2026-01-01"), day("2026-03-31")), domain.ActCall)),
		[]string{"2026-02-07 I1 call manual cancelled"})
	sameLines(t, "before settled", show(only(policy.Steps(f.Account, f.inv("I1"), day("2026-02-24"), day("2026-01-01"), day("2026-03-31")), domain.ActCall)),
		[]string{"2026-02-07 I1 call manual suspended"})
}

func TestExtensionRedatesStepsAfterItsDate(t *testing.T) {
	// Given grade 1, due 2026-01-31, extended on 2026-02-15 to 2026-03-31:
	// steps on or before 02-15 keep their dates (the +15 call on 02-15 included), later
	// ones are re-dated from the new due date. A row is re-dated, not repeated: the
	// due_reminder and the +15 call that already fell are not scheduled again.
	f := customer(t, "C", 1, "ann").invoice("I1", "2026-01-01", "2026-01-31", "100.00").extend("I1", "2026-02-15", "2026-03-31")
	got := policy.Steps(f.Account, f.inv("I1"), day("2026-02-20"), day("2026-01-01"), day("2026-07-01"))
	sameLines(t, "extended", show(got), []string{
		"2026-01-01 I1 notice auto pending",
		"2026-02-01 I1 due_reminder auto pending",
		"2026-02-15 I1 call manual pending",
		"2026-04-30 I1 call manual pending",
		"2026-05-30 I1 visit manual pending",
		"2026-06-29 I1 escalate manual pending",
	})
	if s := find(t, got, "2026-04-30", domain.ActCall); !strings.Contains(s.Why, "from due 2026-03-31 (extension of 2026-02-15)") {
		t.Errorf("why %q", s.Why)
	}
	// As of the day before the extension, it does not count yet.
	got = policy.Steps(f.Account, f.inv("I1"), day("2026-02-14"), day("2026-02-02"), day("2026-03-03"))
	sameLines(t, "before extension", show(got), []string{
		"2026-02-15 I1 call manual pending",
		"2026-03-02 I1 call manual pending",
	})
	// A second extension re-dates again only what is dated after it: the +30 call,
	// 03-02 from the original due, then 04-30 from the first extension, then 05-30.
	f.extend("I1", "2026-04-10", "2026-04-30")
	got = only(policy.Steps(f.Account, f.inv("I1"), day("2026-04-10"), day("2026-01-01"), day("2026-07-31")), domain.ActDueReminder, domain.ActCall)
	sameLines(t, "two extensions", show(got), []string{
		"2026-02-01 I1 due_reminder auto pending", // before the first extension
		"2026-02-15 I1 call manual pending",
		"2026-05-30 I1 call manual pending",
	})
}

func TestPromiseHoldsAutomaticStepsOnly(t *testing.T) {
	// Given grade 3, due 2026-01-31, a promise on 02-03 to pay 100.00 by 02-14.
	f := customer(t, "C", 3, "ann").invoice("I1", "2026-01-01", "2026-01-31", "1000.00").
		promise("I1", "2026-02-03", "2026-02-14", "100.00").pay("P1", "2026-02-14", "I1", "100.00")
	got := policy.Steps(f.Account, f.inv("I1"), day("2026-02-10"), day("2026-01-31"), day("2026-02-21"))
	sameLines(t, "hold", show(got), []string{
		"2026-01-31 I1 visit manual pending",
		"2026-02-03 I1 reminder auto suspended", // promise day
		"2026-02-07 I1 call manual pending",     // manual: not held
		"2026-02-14 I1 reminder auto suspended", // promised day
		"2026-02-21 I1 reminder auto pending",
	})
	// The promise counts from its date: as of 02-02 nothing is held.
	got = policy.Steps(f.Account, f.inv("I1"), day("2026-02-02"), day("2026-02-03"), day("2026-02-03"))
	sameLines(t, "before the promise", show(got), []string{"2026-02-03 I1 reminder auto pending"})
	// The short-payment notice of a payment inside the hold is held as well (automatic).
	got = only(policy.Steps(f.Account, f.inv("I1"), day("2026-02-15"), day("2026-01-01"), day("2026-03-01")), domain.ActShortPaymentNotice)
	sameLines(t, "short payment held", show(got), []string{"2026-02-14 I1 short_payment_notice auto suspended @P1"})
}

func TestPromiseKeptOrBrokenByOneCent(t *testing.T) {
	for _, c := range []struct {
		name, paid, on string
		asOf           string
		want           []string
	}{
		{"kept", "100.00", "2026-02-14", "2026-02-15", nil},
		{"one cent short", "99.99", "2026-02-14", "2026-02-15", []string{"2026-02-15 I1 call manual pending +broken"}},
		{"paid the day after", "100.00", "2026-02-15", "2026-02-15", []string{"2026-02-15 I1 call manual pending +broken"}},
		{"not yet broken on the promised day", "99.99", "2026-02-14", "2026-02-14", nil},
		{"paid on the promise day", "100.00", "2026-02-03", "2026-02-20", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := customer(t, "C", 3, "ann").invoice("I1", "2026-01-01", "2026-01-31", "1000.00").
				promise("I1", "2026-02-03", "2026-02-14", "100.00").pay("P1", c.on, "I1", c.paid)
			var got []domain.Step
			for _, s := range only(policy.Steps(f.Account, f.inv("I1"), day(c.asOf), day("2026-02-08"), day("2026-02-28")), domain.ActCall) {
				if s.BrokenPromise {
					got = append(got, s)
				}
			}
			sameLines(t, "broken calls", show(got), c.want)
			if len(got) == 1 && !strings.Contains(got[0].Why, "promise of 2026-02-03 to pay 100.00 CNY by 2026-02-14 broken") {
				t.Errorf("why %q", got[0].Why)
			}
		})
	}
	// A credit note does not keep a promise to pay.
	f := customer(t, "C", 3, "ann").invoice("I1", "2026-01-01", "2026-01-31", "1000.00").
		promise("I1", "2026-02-03", "2026-02-14", "100.00").creditNote("CN1", "2026-02-10", "I1", "100.00")
	got := only(policy.Steps(f.Account, f.inv("I1"), day("2026-02-20"), day("2026-02-15"), day("2026-02-15")), domain.ActCall)
	sameLines(t, "credit note", show(got), []string{"2026-02-15 I1 call manual pending +broken"})
	// A broken-promise call on a ladder call's day is one step (grade 1 +15 call on 02-15).
	g := customer(t, "C", 1, "ann").invoice("I1", "2026-01-01", "2026-01-31", "1000.00").promise("I1", "2026-02-01", "2026-02-14", "1.00")
	got = only(policy.Steps(g.Account, g.inv("I1"), day("2026-02-20"), day("2026-02-15"), day("2026-02-15")), domain.ActCall)
	sameLines(t, "merged", show(got), []string{"2026-02-15 I1 call manual pending +broken"})
	if !strings.Contains(got[0].Why, "+15 call") || !strings.Contains(got[0].Why, "broken") {
		t.Errorf("why %q", got[0].Why)
	}
}

func TestShortPaymentNotice(t *testing.T) {
	// Given 1000.00 due 2026-01-31: a partial payment P1 on 02-05 leaves it short; a
	// linked credit note, an unlinked one and the final payment P2 add none.
	f := customer(t, "C", 3, "ann").invoice("I1", "2026-01-01", "2026-01-31", "1000.00").
		pay("P1", "2026-02-05", "I1", "400.00").
		creditNote("CN1", "2026-02-06", "I1", "100.00").
		unlinkedCreditNote("CN2", "2026-02-07", "I1", "100.00").
		pay("P2", "2026-02-09", "I1", "400.00")
	steps := policy.Steps(f.Account, f.inv("I1"), day("2026-02-08"), day("2026-01-01"), day("2026-12-31"))
	got := only(steps, domain.ActShortPaymentNotice)
	sameLines(t, "notices", show(got), []string{"2026-02-05 I1 short_payment_notice auto pending @P1"})
	if got[0].ID() != "I1/short_payment_notice/P1" || !strings.Contains(got[0].Why, "payment P1 of 2026-02-05 left 600.00 CNY unpaid") {
		t.Errorf("id %q why %q", got[0].ID(), got[0].Why)
	}
	// Sent by the engine: done, keyed by the payment.
	f.sent("2026-02-05", got[0])
	got = only(policy.Steps(f.Account, f.inv("I1"), day("2026-02-08"), day("2026-01-01"), day("2026-12-31")), domain.ActShortPaymentNotice)
	sameLines(t, "sent", show(got), []string{"2026-02-05 I1 short_payment_notice auto done @P1"})
	// Not sent and settled since: cancelled.
	g := customer(t, "C", 3, "ann").invoice("I1", "2026-01-01", "2026-01-31", "1000.00").
		pay("P1", "2026-02-05", "I1", "400.00").pay("P2", "2026-02-09", "I1", "600.00")
	got = only(policy.Steps(g.Account, g.inv("I1"), day("2026-02-09"), day("2026-01-01"), day("2026-12-31")), domain.ActShortPaymentNotice)
	sameLines(t, "settled", show(got), []string{"2026-02-05 I1 short_payment_notice auto cancelled @P1"})
	// A payment dated after the as-of date does not count yet.
	got = only(policy.Steps(g.Account, g.inv("I1"), day("2026-02-04"), day("2026-01-01"), day("2026-12-31")), domain.ActShortPaymentNotice)
	sameLines(t, "future payment", show(got), nil)
}

func TestManualMatchingOrder(t *testing.T) {
	// Given grade 1 invoices with call steps: I2 (due 01-25) on 02-09, I1 and I3 (due
	// 01-31) on 02-15.
	build := func() fixture {
		return customer(t, "C", 1, "ann").
			invoice("I1", "2026-01-01", "2026-01-31", "10.00").
			invoice("I2", "2026-01-01", "2026-01-25", "10.00").
			invoice("I3", "2026-01-01", "2026-01-31", "10.00")
	}
	calls := func(f fixture, asOf string) []string {
		return show(only(policy.AccountSteps(f.Account, day(asOf), day("2026-02-01"), day("2026-02-28")), domain.ActCall))
	}
	// When customer-level calls are recorded on 02-20, 02-20 and (later, back-dated) 02-14,
	// then they are taken by date: 02-14 completes I2's 02-09, the two on 02-20 complete
	// the 02-15 calls, smallest invoice id first.
	f := build().action("2026-02-20", "", domain.ActCall).action("2026-02-20", "", domain.ActCall).action("2026-02-14", "", domain.ActCall)
	sameLines(t, "customer-level", calls(f, "2026-02-28"), []string{
		"2026-02-09 I2 call manual done",
		"2026-02-15 I1 call manual done",
		"2026-02-15 I3 call manual done",
		"2026-02-24 I2 call manual pending",
	})
	// As of 02-19 only the 02-14 action counts.
	sameLines(t, "as of 02-19", calls(f, "2026-02-19"), []string{
		"2026-02-09 I2 call manual done",
		"2026-02-15 I1 call manual pending",
		"2026-02-15 I3 call manual pending",
		"2026-02-24 I2 call manual pending",
	})
	// One customer-level call completes only the earliest step (ties: smallest invoice id).
	f = build().action("2026-02-16", "", domain.ActCall)
	sameLines(t, "one action", calls(f, "2026-02-28"), []string{
		"2026-02-09 I2 call manual done",
		"2026-02-15 I1 call manual pending",
		"2026-02-15 I3 call manual pending",
		"2026-02-24 I2 call manual pending",
	})
	// An invoice-level call completes its own invoice's step only; an action before the
	// step's date completes nothing; another action kind does not match.
	f = build().action("2026-02-15", "I3", domain.ActCall).action("2026-02-14", "I1", domain.ActCall).action("2026-02-20", "", domain.ActVisit)
	sameLines(t, "invoice-level", calls(f, "2026-02-28"), []string{
		"2026-02-09 I2 call manual pending",
		"2026-02-15 I1 call manual pending",
		"2026-02-15 I3 call manual done",
		"2026-02-24 I2 call manual pending",
	})
	// Steps() of one invoice sees matches decided across the account.
	f = build().action("2026-02-20", "", domain.ActCall).action("2026-02-20", "", domain.ActCall)
	sameLines(t, "one invoice", show(only(policy.Steps(f.Account, f.inv("I3"), day("2026-02-28"), day("2026-02-01"), day("2026-02-28")), domain.ActCall)),
		[]string{"2026-02-15 I3 call manual pending"})
	sameLines(t, "other invoice", show(only(policy.Steps(f.Account, f.inv("I1"), day("2026-02-28"), day("2026-02-01"), day("2026-02-28")), domain.ActCall)),
		[]string{"2026-02-15 I1 call manual done"})
	// A customer-level call does not complete a step of an invoice already settled on
	// the action's day: it goes to the open invoice.
	f = build().pay("P1", "2026-02-18", "I2", "10.00").action("2026-02-20", "", domain.ActCall)
	sameLines(t, "settled skipped", calls(f, "2026-02-28"), []string{
		"2026-02-09 I2 call manual cancelled",
		"2026-02-15 I1 call manual done",
		"2026-02-15 I3 call manual pending",
		"2026-02-24 I2 call manual cancelled",
	})
}

func TestAccountStepsOrder(t *testing.T) {
	// Steps of several invoices by date, invoice id (bytes), action; invoices issued
	// after D are left out.
	f := customer(t, "C", 4, "ann").
		invoice("b", "2026-01-01", "2026-01-31", "10.00").
		invoice("B", "2026-01-01", "2026-01-31", "10.00").
		invoice("late", "2026-02-02", "2026-03-04", "10.00")
	got := policy.AccountSteps(f.Account, day("2026-02-01"), day("2026-01-31"), day("2026-02-01"))
	sameLines(t, "order", show(got), []string{
		"2026-01-31 B visit manual pending",
		"2026-01-31 b visit manual pending",
		"2026-02-01 B direct_demand manual pending",
		"2026-02-01 b direct_demand manual pending",
	})
}

func TestNoContactReminderBecomesACall(t *testing.T) {
	// Given grade 3, due 2026-01-31: the +3 reminder on 02-03 could not be sent.
	f := customer(t, "C", 3, "ann").invoice("I1", "2026-01-01", "2026-01-31", "100.00")
	f.Apply(domain.ReminderSent{On: day("2026-02-03"), Step: "I1/reminder/2026-02-03", Invoice: "I1",
		Action: domain.ActReminder, StepDate: day("2026-02-03"), Channel: domain.ChannelManual, Outcome: "no_contact"})
	got := policy.Steps(f.Account, f.inv("I1"), day("2026-02-05"), day("2026-02-03"), day("2026-02-03"))
	sameLines(t, "no contact", show(got), []string{
		"2026-02-03 I1 call manual pending",
		"2026-02-03 I1 reminder auto done",
	})
	// As of the day before it was recorded, there is no call yet.
	got = policy.Steps(f.Account, f.inv("I1"), day("2026-02-02"), day("2026-02-03"), day("2026-02-03"))
	sameLines(t, "before", show(got), []string{"2026-02-03 I1 reminder auto pending"})
}
