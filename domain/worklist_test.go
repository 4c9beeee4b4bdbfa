package domain_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
)

func TestCalendar(t *testing.T) {
	if day("2026-02-14").Weekday() != time.Saturday || day("2026-02-16").Weekday() != time.Monday {
		t.Fatal("calendar assumptions")
	}
	cal := domain.Calendar{Holidays: map[domain.Date]bool{day("2026-02-16"): true}}
	for _, c := range []struct {
		d, next string
		working bool
	}{
		{"2026-02-13", "2026-02-13", true},  // Friday
		{"2026-02-14", "2026-02-17", false}, // Saturday -> Monday is a holiday -> Tuesday
		{"2026-02-15", "2026-02-17", false},
		{"2026-02-16", "2026-02-17", false}, // holiday
		{"2026-02-17", "2026-02-17", true},
	} {
		if cal.IsWorkingDay(day(c.d)) != c.working || cal.NextWorkingDay(day(c.d)) != day(c.next) {
			t.Errorf("%s: working %v next %s", c.d, cal.IsWorkingDay(day(c.d)), cal.NextWorkingDay(day(c.d)))
		}
	}
	if (domain.Calendar{}).NextWorkingDay(day("2026-02-14")) != day("2026-02-16") {
		t.Error("no holidays")
	}
}

// render shows contacts as "priority customer: date invoice action, ...".
func render(contacts []domain.Contact) []string {
	var out []string
	for _, c := range contacts {
		var tasks []string
		for _, s := range c.Tasks {
			tasks = append(tasks, fmt.Sprintf("%s %s %s", s.Date, s.Invoice, s.Action))
		}
		out = append(out, fmt.Sprintf("%d %s: %s", c.Priority, c.Customer, strings.Join(tasks, ", ")))
	}
	return out
}

func TestWorklistWeekendAndHolidayMoves(t *testing.T) {
	// Given grade 1, due Friday 2026-01-30: the +15 call falls on Saturday 2026-02-14.
	f := customer(t, "C", 1, "ann").invoice("I1", "2026-01-01", "2026-01-30", "10.00")
	accounts := []*domain.Account{f.Account}
	for _, c := range []struct {
		asOf     string
		holidays []string
		day      string
		want     []string
	}{
		{"2026-02-13", nil, "2026-02-13", nil},                                                    // Friday: not due yet
		{"2026-02-14", nil, "2026-02-16", []string{"1 C: 2026-02-14 I1 call"}},                    // Saturday -> Monday, keeps its date
		{"2026-02-13", []string{"2026-02-13"}, "2026-02-16", []string{"1 C: 2026-02-14 I1 call"}}, // Friday holiday
		{"2026-02-14", []string{"2026-02-16"}, "2026-02-17", []string{"1 C: 2026-02-14 I1 call"}}, // Monday holiday
	} {
		cal := domain.Calendar{Holidays: map[domain.Date]bool{}}
		for _, h := range c.holidays {
			cal.Holidays[day(h)] = true
		}
		d, contacts := policy.Worklist(accounts, "ann", day(c.asOf), cal)
		if d != day(c.day) {
			t.Errorf("as of %s: day %s, want %s", c.asOf, d, c.day)
		}
		sameLines(t, "as of "+c.asOf, render(contacts), c.want)
	}
	// Another collector's worklist does not have it; a done call leaves the list.
	if _, contacts := policy.Worklist(accounts, "bob", day("2026-02-16"), domain.Calendar{}); contacts != nil {
		t.Errorf("bob: %v", render(contacts))
	}
	f.action("2026-02-16", "I1", domain.ActCall)
	if _, contacts := policy.Worklist(accounts, "ann", day("2026-02-16"), domain.Calendar{}); contacts != nil {
		t.Errorf("done: %v", render(contacts))
	}
}

func TestWorklistTasksAndSettledInvoices(t *testing.T) {
	// Given grade 4 (call -3, visit 0, direct_demand +1) with two invoices, one paid.
	f := customer(t, "C", 4, "ann").
		invoice("I1", "2026-01-01", "2026-02-04", "10.00").
		invoice("I2", "2026-01-01", "2026-02-04", "10.00").
		pay("P1", "2026-02-02", "I2", "10.00")
	// As of Thursday 02-05: all pending manual steps due by then, each with its own date;
	// the paid invoice's steps are gone.
	_, contacts := policy.Worklist([]*domain.Account{f.Account}, "ann", day("2026-02-05"), domain.Calendar{})
	sameLines(t, "tasks", render(contacts), []string{"1 C: 2026-02-01 I1 call, 2026-02-04 I1 visit, 2026-02-05 I1 direct_demand"})
	for _, s := range contacts[0].Tasks {
		if s.Automatic || s.Status != domain.StepPending {
			t.Errorf("task %+v", s)
		}
	}
}

func TestWorklistPriority(t *testing.T) {
	// Given, as of Friday 2026-02-20, customers whose invoices are due 2026-02-01 (19
	// days overdue) with a grade 1 call on 02-16:
	//   A: 100.00 overdue and a broken promise (call 02-11) -> first despite the least money;
	//   B: 10000.00 -> most money-days;
	//   E: 400.00 CNY + 200 JPY = 600 (plain numbers across currencies);
	//   C: 500.00 and D: 300.00 CNY + 200.00 USD -> equal, by customer id.
	a := customer(t, "A", 1, "ann").invoice("IA", "2026-01-01", "2026-02-01", "100.00").promise("IA", "2026-02-01", "2026-02-10", "50.00")
	b := customer(t, "B", 1, "ann").invoice("IB", "2026-01-01", "2026-02-01", "10000.00")
	c := customer(t, "C", 1, "ann").invoice("IC", "2026-01-01", "2026-02-01", "500.00")
	d := customer(t, "D", 1, "ann").invoice("ID1", "2026-01-01", "2026-02-01", "300.00").invoiceIn("ID2", "2026-01-01", "2026-02-01", "200.00", usd)
	e := customer(t, "E", 1, "ann").invoice("IE1", "2026-01-01", "2026-02-01", "400.00").invoiceIn("IE2", "2026-01-01", "2026-02-01", "200", jpy)
	accounts := []*domain.Account{d.Account, c.Account, e.Account, b.Account, a.Account}
	on, contacts := policy.Worklist(accounts, "ann", day("2026-02-20"), domain.Calendar{})
	if on != day("2026-02-20") {
		t.Errorf("day %s", on)
	}
	sameLines(t, "priority", render(contacts), []string{
		"1 A: 2026-02-11 IA call, 2026-02-16 IA call",
		"2 B: 2026-02-16 IB call",
		"3 E: 2026-02-16 IE1 call, 2026-02-16 IE2 call",
		"4 C: 2026-02-16 IC call",
		"5 D: 2026-02-16 ID1 call, 2026-02-16 ID2 call",
	})
	if !contacts[0].Tasks[0].BrokenPromise {
		t.Error("broken promise call not marked")
	}
	if got := domain.MoneyDaysAtRisk(e.Account, day("2026-02-20")).String(); got != "11400" {
		t.Errorf("E money-days %s", got)
	}
}

func TestWorklistCapAndOverflow(t *testing.T) {
	// Given 62 customers c00..c61 of collector ann, each with 1000.00+i due 2026-02-01
	// (grade 1: call on Monday 02-16), and X with 99999.00 due 02-02 (call on Tuesday
	// 02-17); one account of another collector.
	var accounts []*domain.Account
	for i := range 62 {
		f := customer(t, fmt.Sprintf("c%02d", i), 1, "ann").invoice(fmt.Sprintf("I%02d", i), "2026-01-01", "2026-02-01", fmt.Sprintf("%d.00", 1000+i))
		accounts = append(accounts, f.Account)
	}
	x := customer(t, "X", 1, "ann").invoice("IX", "2026-01-01", "2026-02-02", "99999.00")
	other := customer(t, "O", 1, "bob").invoice("IO", "2026-01-01", "2026-02-01", "5000000.00")
	accounts = append(accounts, x.Account, other.Account)

	// On Monday: at most 60, by money-days: c61 .. c02; c01 and c00 overflow.
	_, contacts := policy.Worklist(accounts, "ann", day("2026-02-16"), domain.Calendar{})
	if len(contacts) != domain.MaxContactsPerDay || contacts[0].Customer != "c61" || contacts[59].Customer != "c02" {
		t.Fatalf("monday: %d contacts, %v", len(contacts), render(contacts)[:3])
	}
	for i, c := range contacts {
		if c.Priority != i+1 {
			t.Errorf("priority %d at %d", c.Priority, i)
		}
	}
	// On Tuesday: the overflow first, in its order, ahead of X's new, larger contact.
	_, contacts = policy.Worklist(accounts, "ann", day("2026-02-17"), domain.Calendar{})
	var got []string
	for _, c := range contacts[:4] {
		got = append(got, fmt.Sprintf("%d %s", c.Priority, c.Customer))
	}
	sameLines(t, "tuesday", got, []string{"1 c01", "2 c00", "3 X", "4 c61"})
	if len(contacts) != 60 || contacts[59].Customer != "c05" {
		t.Errorf("tuesday: %d contacts, last %s", len(contacts), contacts[len(contacts)-1].Customer)
	}
	// With Tuesday a holiday, Wednesday is the next simulated day after Monday.
	cal := domain.Calendar{Holidays: map[domain.Date]bool{day("2026-02-17"): true}}
	on, contacts := policy.Worklist(accounts, "ann", day("2026-02-17"), cal)
	if on != day("2026-02-18") || contacts[0].Customer != "c01" || contacts[1].Customer != "c00" || contacts[2].Customer != "X" {
		t.Errorf("holiday: %s %v", on, render(contacts)[:3])
	}
	// Without an overflow on Monday (the two smallest have paid), nothing is carried.
	accounts[0] = customer(t, "c00", 1, "ann").invoice("I00", "2026-01-01", "2026-02-01", "1000.00").pay("P", "2026-02-10", "I00", "1000.00").Account
	accounts[1] = customer(t, "c01", 1, "ann").invoice("I01", "2026-01-01", "2026-02-01", "1001.00").pay("P", "2026-02-10", "I01", "1001.00").Account
	_, contacts = policy.Worklist(accounts, "ann", day("2026-02-17"), domain.Calendar{})
	if len(contacts) != 61-1 || contacts[0].Customer != "X" || contacts[1].Customer != "c61" {
		t.Errorf("no overflow: %d %v", len(contacts), render(contacts)[:2])
	}
}

func TestWorklistManyCustomers(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	// 3000 customers with a year of backlog: the cap holds on a long simulation.
	var accounts []*domain.Account
	for i := range 3000 {
		f := customer(t, fmt.Sprintf("k%04d", i), 1+i%5, "ann")
		for j := range 4 {
			issued := day("2025-03-01").AddDays(i%90 + 30*j)
			f.Apply(domain.InvoiceIssued{On: issued, Invoice: fmt.Sprintf("I%04d-%d", i, j), Amount: money(fmt.Sprintf("%d.50", 100+i)), Currency: cny, Due: issued.AddDays(30)})
		}
		f.pay("P", "2025-09-01", fmt.Sprintf("I%04d-0", i), "10.00")
		accounts = append(accounts, f.Account)
	}
	_, contacts := policy.Worklist(accounts, "ann", day("2026-03-02"), domain.Calendar{})
	if len(contacts) != 60 {
		t.Errorf("%d contacts", len(contacts))
	}
}
