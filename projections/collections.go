package projections

import (
	"slices"
	"strconv"

	"github.com/arkeep/arkeep/domain"
)

// ScheduleWindow is how far before and after the as-of date the schedule report lists
// steps (Appendix A: D − 30 to D + 30).
const ScheduleWindow = 30

// ScheduleReport is the Appendix A collection-action schedule.
type ScheduleReport struct {
	AsOf  string        `json:"as_of"`
	Steps []ScheduleRow `json:"steps"`
}

// ScheduleRow is one step of an invoice's schedule.
type ScheduleRow struct {
	Invoice  string `json:"invoice"`
	Customer string `json:"customer"`
	Action   string `json:"action"`
	Date     string `json:"date"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
}

// Schedule lists every step dated from asOf−30 to asOf+30 of every invoice issued on or
// before asOf, by date, invoice, action.
func Schedule(books *domain.Books, p *domain.Policy, asOf domain.Date) ScheduleReport {
	var steps []domain.Step
	for _, a := range books.Accounts() {
		steps = append(steps, p.AccountSteps(a, asOf, asOf.AddDays(-ScheduleWindow), asOf.AddDays(ScheduleWindow))...)
	}
	sortSteps(steps)
	rep := ScheduleReport{AsOf: asOf.String(), Steps: make([]ScheduleRow, 0, len(steps))}
	for _, s := range steps {
		kind := "manual"
		if s.Automatic {
			kind = "auto"
		}
		rep.Steps = append(rep.Steps, ScheduleRow{Invoice: s.Invoice, Customer: s.Customer, Action: s.Action.String(),
			Date: s.Date.String(), Kind: kind, Status: s.Status.String()})
	}
	return rep
}

func sortSteps(steps []domain.Step) { slices.SortStableFunc(steps, domain.CompareSteps) }

// WorklistReport is the Appendix A worklist of one collector for one working day.
type WorklistReport struct {
	Collector string       `json:"collector"`
	On        string       `json:"on"`
	Contacts  []ContactRow `json:"contacts"`
}

// ContactRow is one customer to contact, in priority order.
type ContactRow struct {
	Customer string    `json:"customer"`
	Priority int       `json:"priority"`
	Tasks    []TaskRow `json:"tasks"`
}

// TaskRow is one manual step; it keeps its own date.
type TaskRow struct {
	Invoice string `json:"invoice"`
	Action  string `json:"action"`
	Date    string `json:"date"`
}

// Worklist is the collector's contacts for the first working day on or after asOf.
func Worklist(books *domain.Books, p *domain.Policy, collector string, asOf domain.Date, holidays map[domain.Date]bool) WorklistReport {
	day, contacts := p.Worklist(books.Accounts(), collector, asOf, domain.Calendar{Holidays: holidays})
	rep := WorklistReport{Collector: collector, On: day.String(), Contacts: make([]ContactRow, 0, len(contacts))}
	for _, c := range contacts {
		row := ContactRow{Customer: c.Customer, Priority: c.Priority, Tasks: make([]TaskRow, 0, len(c.Tasks))}
		for _, t := range c.Tasks {
			row.Tasks = append(row.Tasks, TaskRow{Invoice: t.Invoice, Action: t.Action.String(), Date: t.Date.String()})
		}
		rep.Contacts = append(rep.Contacts, row)
	}
	return rep
}

// Header of the schedule rows.
func (r ScheduleReport) Header() []string {
	return []string{"date", "invoice", "customer", "action", "kind", "status"}
}

// Rows: one per step.
func (r ScheduleReport) Rows() [][]string {
	rows := make([][]string, 0, len(r.Steps))
	for _, s := range r.Steps {
		rows = append(rows, []string{s.Date, s.Invoice, s.Customer, s.Action, s.Kind, s.Status})
	}
	return rows
}

// Header of the worklist rows.
func (r WorklistReport) Header() []string {
	return []string{"priority", "customer", "invoice", "action", "date"}
}

// Rows: one per task, contacts in priority order.
func (r WorklistReport) Rows() [][]string {
	var rows [][]string
	for _, c := range r.Contacts {
		for _, t := range c.Tasks {
			rows = append(rows, []string{strconv.Itoa(c.Priority), c.Customer, t.Invoice, t.Action, t.Date})
		}
	}
	return rows
}
