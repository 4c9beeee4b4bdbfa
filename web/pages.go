package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
)

// ---------------------------------------------------------------------------------
// Ageing dashboard.

type dashboardPage struct {
	Buckets []string
	Charts  []chart
	Totals  []ageRow // one per currency
	Rows    []ageRow // this page's customers
	Pager   pager
}

type ageRow struct {
	Currency, Customer, Name string
	Buckets                  []string
	Total, Unapplied         string
}

type pager struct {
	Page, Pages, From, To, Total int
	PrevURL, NextURL             string
}

func (h *handler) dashboard(w http.ResponseWriter, r *http.Request) {
	asOf, err := h.asOf(r)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	page := 1
	if v := r.URL.Query().Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			h.fail(w, r, http.StatusBadRequest, "page: want a whole number from 1")
			return
		}
	}
	seq := h.position()
	var rep projections.AgeingReport
	var d dashboardPage
	// One report per request; the lock is held only while it is computed and the
	// names of the customers on the page (after clamping it to the last) are looked up.
	h.live.View(func(b *domain.Books) {
		rep = projections.Ageing(b, asOf, projections.BasisDue, projections.DefaultBuckets())
		total := 0
		for _, c := range rep.Currencies {
			total += len(c.Customers)
		}
		d.Pager = paginate(total, page, func(p int) string { return pageURL(asOfParam(r), p) })
		i := 0
		for _, c := range rep.Currencies {
			for _, cu := range c.Customers {
				i++
				if i < d.Pager.From || i > d.Pager.To {
					continue
				}
				d.Rows = append(d.Rows, ageRow{Currency: c.Currency, Customer: cu.Customer, Name: nameOf(b, cu.Customer),
					Buckets: cu.Buckets.Values, Total: cu.Total, Unapplied: cu.UnappliedCredit})
			}
		}
	})

	d.Buckets = rep.Buckets
	for _, c := range rep.Currencies {
		d.Charts = append(d.Charts, ageingChart(c.Currency, rep.Buckets, c.Totals))
		d.Totals = append(d.Totals, ageRow{Currency: c.Currency, Buckets: c.Totals.Buckets.Values,
			Total: c.Totals.Total, Unapplied: c.Totals.UnappliedCredit})
	}
	h.render(w, r, http.StatusOK, "dashboard.html", layout{Title: "Ageing", Nav: "ageing", AsOf: asOf.String(),
		Seq: seq, Picker: true, Action: "/", Content: d})
}

func asOfParam(r *http.Request) string { return r.URL.Query().Get("as_of") }

func pageURL(asOf string, p int) string {
	u := "/?page=" + strconv.Itoa(p)
	if asOf != "" {
		u += "&as_of=" + asOf
	}
	return u
}

// paginate cuts total rows into pages of PageSize; From and To are 1-based and
// inclusive (From > To when there is nothing).
func paginate(total, page int, link func(int) string) pager {
	pages := (total + PageSize - 1) / PageSize
	if pages == 0 {
		pages = 1
	}
	if page > pages {
		page = pages
	}
	p := pager{Page: page, Pages: pages, Total: total, From: (page-1)*PageSize + 1, To: min(page*PageSize, total)}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if page < pages {
		p.NextURL = link(page + 1)
	}
	return p
}

// ---------------------------------------------------------------------------------
// Bad-debt register and fund statement: the reports as they are.

type badDebtPage struct {
	Report projections.BadDebtReport
	Names  map[string]string
}

func (h *handler) badDebt(w http.ResponseWriter, r *http.Request) {
	asOf, err := h.asOf(r)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	seq := h.position()
	var p badDebtPage
	h.live.View(func(b *domain.Books) {
		p.Report = projections.BadDebt(b, asOf)
		p.Names = map[string]string{}
		for _, c := range p.Report.Currencies {
			for d := range c.Doubtful.All() {
				p.Names[d.Customer()] = nameOf(b, d.Customer())
			}
			for _, wo := range c.WrittenOff {
				p.Names[wo.Customer] = nameOf(b, wo.Customer)
			}
		}
	})
	h.render(w, r, http.StatusOK, "baddebt.html", layout{Title: "Bad-debt register", Nav: "baddebt",
		AsOf: asOf.String(), Seq: seq, Picker: true, Action: "/baddebt", Content: p})
}

func nameOf(b *domain.Books, id string) string {
	if a, ok := b.Existing(id); ok {
		return a.Profile().Name
	}
	return ""
}

type fundsPage struct {
	Funds []fundRow
}

type fundRow struct {
	projections.FundRow
	Name, Bounty string
	NewCustomer  bool // first row of its customer
}

func (h *handler) funds(w http.ResponseWriter, r *http.Request) {
	asOf, err := h.asOf(r)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	seq := h.position()
	var p fundsPage
	h.live.View(func(b *domain.Books) {
		rep := projections.Funds(b, asOf)
		prev := ""
		for _, f := range rep.Funds {
			row := fundRow{FundRow: f, Name: nameOf(b, f.Customer), NewCustomer: f.Customer != prev}
			if f.BountyTo != nil {
				row.Bounty = *f.BountyTo
			}
			prev = f.Customer
			p.Funds = append(p.Funds, row)
		}
	})
	h.render(w, r, http.StatusOK, "funds.html", layout{Title: "Price-protection funds", Nav: "funds",
		AsOf: asOf.String(), Seq: seq, Picker: true, Action: "/funds", Content: p})
}

// ---------------------------------------------------------------------------------
// Worklist.

type worklistPage struct {
	Collector  string
	Collectors []collectorLink
	On         string
	AsOf       string // as given in the request ("" = today)
	Contacts   []contactView
}

type collectorLink struct {
	Name, URL string
	Customers int
}

type contactView struct {
	Priority       int
	Customer, Name string
	Phone, Email   string
	Tasks          []taskView
}

type taskView struct {
	Invoice, Action, Date string
	BrokenPromise         bool
	Nonce                 string
}

func (h *handler) worklist(w http.ResponseWriter, r *http.Request) {
	asOf, err := h.asOf(r)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	collector := r.URL.Query().Get("collector")
	seq := h.position()
	p := worklistPage{Collector: collector, AsOf: asOfParam(r)}
	h.live.View(func(b *domain.Books) {
		count := map[string]int{}
		for _, a := range b.Accounts() {
			count[a.Profile().Collector]++
		}
		for name, n := range count {
			p.Collectors = append(p.Collectors, collectorLink{Name: name, Customers: n, URL: worklistURL(name, p.AsOf)})
		}
		sort.Slice(p.Collectors, func(i, j int) bool { return p.Collectors[i].Name < p.Collectors[j].Name })
		if collector == "" {
			return
		}
		// The worklist report's own computation (projections.Worklist), kept as domain
		// steps so that a broken promise's call can be told apart.
		day, contacts := h.policy.Worklist(b.Accounts(), collector, asOf, domain.Calendar{Holidays: h.holidays})
		p.On = day.String()
		for _, c := range contacts {
			cv := contactView{Priority: c.Priority, Customer: c.Customer}
			if a, ok := b.Existing(c.Customer); ok {
				pr := a.Profile()
				cv.Name, cv.Phone, cv.Email = pr.Name, pr.Phone, pr.Email
			}
			for _, t := range c.Tasks {
				cv.Tasks = append(cv.Tasks, taskView{Invoice: t.Invoice, Action: t.Action.String(), Date: t.Date.String(),
					BrokenPromise: t.BrokenPromise, Nonce: newNonce()})
			}
			p.Contacts = append(p.Contacts, cv)
		}
	})
	title := "Worklists"
	hidden := []kv(nil)
	if collector != "" {
		title = "Worklist of " + collector
		hidden = []kv{{"collector", collector}}
	}
	h.render(w, r, http.StatusOK, "worklist.html", layout{Title: title, Nav: "worklist", AsOf: asOf.String(),
		Seq: seq, Picker: collector != "", Hidden: hidden, Action: "/worklist", Content: p})
}

// ---------------------------------------------------------------------------------
// Customer statement.

type statementPage struct {
	ID, Name, Collector, CollectorURL string
	Email, Phone, Webhook             string
	Grade, TermsDays                  int
	RegisteredOn, LastAssessed        string
	ReviewDue                         bool
	Balances                          []balance
	OpenItems                         []openItem
	Timeline                          []fact
	Promises                          []promiseRow
	Reminders                         []reminderRow
}

type balance struct {
	Currency, Outstanding, Overdue, Unapplied string
}

type openItem struct {
	Invoice, Currency, Issued, Due, Amount, Outstanding string
	DaysOverdue                                         int
	Flags                                               []string // disputed, doubtful, extended
}

type fact struct {
	date    domain.Date
	order   int
	Date    string
	Kind    string // css class and label
	Label   string
	Invoice string
	Amount  string
	Text    string
	Lines   []string
}

type promiseRow struct {
	On, Invoice, Promised, Amount, State string
}

type reminderRow struct {
	On, Invoice, Action, StepDate, Channel, Outcome string
}

func (h *handler) customer(w http.ResponseWriter, r *http.Request) {
	asOf, err := h.asOf(r)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	id := r.PathValue("id")
	seq := h.position()
	var p statementPage
	found := false
	h.live.View(func(b *domain.Books) {
		a, ok := b.Existing(id)
		if !ok {
			return
		}
		found = true
		p = statement(a, asOf)
	})
	if !found {
		h.fail(w, r, http.StatusNotFound, "No customer "+strconv.Quote(id)+".")
		return
	}
	p.CollectorURL = worklistURL(p.Collector, asOfParam(r))
	h.render(w, r, http.StatusOK, "customer.html", layout{Title: p.Name + " (" + p.ID + ")", Nav: "ageing",
		AsOf: asOf.String(), Seq: seq, Picker: true, Action: customerURL(id), Content: p})
}

func worklistURL(collector, asOf string) string {
	u := "/worklist?collector=" + url.QueryEscape(collector)
	if asOf != "" {
		u += "&as_of=" + url.QueryEscape(asOf)
	}
	return u
}

// statement builds a customer's statement as of asOf from the account's dated facts.
// It runs under the projection's read lock and copies everything it shows.
func statement(a *domain.Account, asOf domain.Date) statementPage {
	pr := a.Profile()
	p := statementPage{ID: a.ID(), Name: pr.Name, Collector: pr.Collector, Email: pr.Email, Phone: pr.Phone,
		Webhook: pr.Webhook, Grade: a.GradeOn(asOf), TermsDays: pr.TermsDays, RegisteredOn: pr.RegisteredOn.String(),
		LastAssessed: a.LastAssessed(asOf).String(), ReviewDue: a.CreditReviewDue(asOf)}

	type sums struct{ out, overdue, unapplied decimalSum }
	bal := map[string]*sums{}
	curOf := map[string]domain.Currency{}
	get := func(c domain.Currency) *sums {
		s := bal[c.Code()]
		if s == nil {
			s = &sums{}
			bal[c.Code()] = s
			curOf[c.Code()] = c
		}
		return s
	}

	var facts []fact
	add := func(f fact) {
		if f.date > asOf {
			return
		}
		f.Date, f.order = f.date.String(), len(facts)
		facts = append(facts, f)
	}
	add(fact{date: pr.RegisteredOn, Kind: "registered", Label: "Registered",
		Text: "grade " + strconv.Itoa(a.GradeOn(pr.RegisteredOn)) + ", " + strconv.Itoa(pr.TermsDays) + " days' terms, collector " + pr.Collector})

	// Money applied, by its source (payment, credit note, rebate, bounty).
	type appLine struct {
		inv *domain.Invoice
		app domain.Application
		rec bool
	}
	bySource := map[string][]appLine{}
	for _, inv := range a.Invoices() {
		for _, ap := range inv.Apps {
			bySource[ap.Source] = append(bySource[ap.Source], appLine{inv: inv, app: ap})
		}
		for _, ap := range inv.Recoveries() {
			bySource[ap.Source] = append(bySource[ap.Source], appLine{inv: inv, app: ap, rec: true})
		}
	}
	allocLines := func(src string) []string {
		var out []string
		for _, l := range bySource[src] {
			s := "→ " + l.inv.ID + " " + domain.FormatMoney(l.app.Amount, l.inv.Currency)
			switch {
			case l.rec:
				s += " (recovery of a written-off invoice)"
			case l.app.AtIssue:
				s += " (applied when the invoice was issued, " + l.app.On.String() + ")"
			case l.app.On != l.app.MoneyOn:
				s += " (counts from " + l.app.On.String() + ")"
			}
			if l.app.On > asOf {
				s += " — after " + asOf.String()
			}
			out = append(out, s)
		}
		return out
	}

	for _, inv := range a.Invoices() {
		c := inv.Currency
		if inv.Issued > asOf {
			continue
		}
		text := "due " + inv.Due.String()
		if inv.HasFund {
			text += ", price-protection fund rate " + inv.FundRate.String()
		}
		f := fact{date: inv.Issued, Kind: "invoice", Label: "Invoice issued", Invoice: inv.ID,
			Amount: domain.FormatMoney(inv.Amount(), c) + " " + c.Code(), Text: text}
		for _, ap := range inv.Apps {
			if ap.AtIssue {
				f.Lines = append(f.Lines, "credit "+ap.Source+" applied: "+domain.FormatMoney(ap.Amount, c))
			}
		}
		add(f)
		for _, e := range inv.Extensions() {
			add(fact{date: e.On, Kind: "extension", Label: "Extension granted", Invoice: inv.ID,
				Text: "due " + e.PreviousDue.String() + " → " + e.Due.String()})
		}
		for _, d := range inv.Disputes() {
			if d.Open {
				add(fact{date: d.On, Kind: "dispute", Label: "Dispute opened", Invoice: inv.ID})
			} else {
				add(fact{date: d.On, Kind: "dispute", Label: "Dispute resolved", Invoice: inv.ID})
			}
		}
		for _, ap := range inv.Apps {
			if ap.Kind == domain.AppLinkedCredit {
				add(fact{date: ap.MoneyOn, Kind: "credit", Label: "Credit note " + ap.Source, Invoice: inv.ID,
					Amount: domain.FormatMoney(ap.Amount, c) + " " + c.Code(), Text: "linked to the invoice"})
			}
		}
		if wo := inv.WrittenOff(); wo != nil {
			t := "reason " + wo.Reason.String()
			if wo.Forced {
				t += " (forced)"
			}
			add(fact{date: wo.On, Kind: "writeoff", Label: "Written off", Invoice: inv.ID,
				Amount: domain.FormatMoney(wo.Amount, c) + " " + c.Code(), Text: t})
		}
		if inv.DoubtfulOn(asOf) {
			add(fact{date: inv.DoubtfulSince(asOf), Kind: "doubtful", Label: "Became doubtful", Invoice: inv.ID,
				Text: "more than six months past due " + inv.DueAsOf(asOf).String()})
		}

		out := inv.OutstandingAsOf(asOf)
		if out.IsPositive() {
			due := inv.DueAsOf(asOf)
			days := int(asOf - due)
			item := openItem{Invoice: inv.ID, Currency: c.Code(), Issued: inv.Issued.String(), Due: due.String(),
				Amount: domain.FormatMoney(inv.Amount(), c), Outstanding: domain.FormatMoney(out, c), DaysOverdue: max(days, 0)}
			if due != inv.Due {
				item.Flags = append(item.Flags, "extended")
			}
			if inv.DisputedOn(asOf) {
				item.Flags = append(item.Flags, "disputed")
			}
			if inv.DoubtfulOn(asOf) {
				item.Flags = append(item.Flags, "doubtful")
			}
			p.OpenItems = append(p.OpenItems, item)
			s := get(c)
			s.out.add(out)
			if days > 0 {
				s.overdue.add(out)
			}
		}
	}

	for _, l := range a.Lots() {
		c := l.Currency
		if u := l.UnappliedAsOf(asOf); !u.IsZero() {
			get(c).unapplied.add(u)
		}
		f := fact{date: l.On, Invoice: "", Amount: domain.FormatMoney(l.Amount, c) + " " + c.Code(), Lines: allocLines(l.ID)}
		switch l.Kind {
		case domain.AppPayment:
			f.Kind, f.Label = "payment", "Payment "+l.ID
		case domain.AppCreditNote:
			f.Kind, f.Label = "credit", "Credit note "+l.ID
		case domain.AppRebate:
			f.Kind, f.Label = "fund", "Fund returned ("+l.ID+")"
		case domain.AppBounty:
			f.Kind, f.Label = "fund", "Bounty awarded ("+l.ID+")"
		}
		if u := l.UnappliedAsOf(asOf); !u.IsZero() {
			f.Text = "unapplied credit " + domain.FormatMoney(u, c)
		}
		add(f)
	}

	for _, pm := range a.Promises() {
		inv, ok := a.Invoice(pm.Invoice)
		amount := ""
		state := "open"
		if ok {
			amount = domain.FormatMoney(pm.Amount, inv.Currency) + " " + inv.Currency.Code()
			paid := inv.PaidBetween(pm.On, min(pm.Promised, asOf))
			switch {
			case paid.GreaterThanOrEqual(pm.Amount):
				state = "kept"
			case asOf > pm.Promised:
				state = "broken"
			}
		}
		if pm.On > asOf {
			continue
		}
		p.Promises = append(p.Promises, promiseRow{On: pm.On.String(), Invoice: pm.Invoice,
			Promised: pm.Promised.String(), Amount: amount, State: state})
		add(fact{date: pm.On, Kind: "promise", Label: "Promise to pay", Invoice: pm.Invoice, Amount: amount,
			Text: "by " + pm.Promised.String() + " (" + state + ")"})
	}

	for _, act := range a.Actions() {
		t := act.Outcome
		if act.Note != "" {
			if t != "" {
				t += " — "
			}
			t += act.Note
		}
		add(fact{date: act.On, Kind: "action", Label: "Action: " + act.Action.String(), Invoice: act.Invoice, Text: t})
	}

	rems := make([]domain.ReminderSent, 0, len(a.Reminders()))
	for _, rs := range a.Reminders() {
		rems = append(rems, rs)
	}
	slices.SortFunc(rems, func(x, y domain.ReminderSent) int {
		if x.On != y.On {
			return int(x.On - y.On)
		}
		if x.Step < y.Step {
			return -1
		}
		if x.Step > y.Step {
			return 1
		}
		return 0
	})
	for _, rs := range rems {
		if rs.On > asOf {
			continue
		}
		p.Reminders = append(p.Reminders, reminderRow{On: rs.On.String(), Invoice: rs.Invoice, Action: rs.Action.String(),
			StepDate: rs.StepDate.String(), Channel: rs.Channel, Outcome: rs.Outcome})
		add(fact{date: rs.On, Kind: "reminder", Label: "Reminder sent: " + rs.Action.String(), Invoice: rs.Invoice,
			Text: rs.Channel + ", " + rs.Outcome + " (step of " + rs.StepDate.String() + ")"})
	}

	for _, v := range a.Violations() {
		who := v.Reporter
		if who == "" {
			who = v.ReporterName
		}
		add(fact{date: v.ReportedOn, Kind: "violation", Label: "Price violation reported",
			Text: v.ID + ", occurred " + v.OccurredOn.String() + ", reported by " + who})
		if v.Confirmed != nil {
			t := v.ID + ", forfeits the fund of " + v.Confirmed.Quarter.String()
			if v.Confirmed.ForfeitsNothing {
				t = v.ID + ", quarter already closed: forfeits nothing"
			}
			add(fact{date: v.Confirmed.On, Kind: "violation", Label: "Violation confirmed", Text: t})
		}
		if v.Rejected != nil {
			add(fact{date: v.Rejected.On, Kind: "violation", Label: "Violation rejected", Text: v.ID})
		}
	}
	for k, o := range a.FundOutcomes() {
		if f := o.Forfeited; f != nil {
			to := f.Reporter
			if to == "" {
				to = f.ReporterName
			}
			add(fact{date: f.On, Kind: "fund", Label: "Fund forfeited", Amount: domain.FormatMoney(f.Amount, f.Currency) + " " + k.Currency,
				Text: k.Quarter.String() + ", bounty to " + to})
		}
	}

	sort.SliceStable(facts, func(i, j int) bool {
		if facts[i].date != facts[j].date {
			return facts[i].date < facts[j].date
		}
		return facts[i].order < facts[j].order
	})
	p.Timeline = facts

	for _, code := range slices.Sorted(maps.Keys(bal)) {
		s, c := bal[code], curOf[code]
		p.Balances = append(p.Balances, balance{Currency: code, Outstanding: s.out.format(c),
			Overdue: s.overdue.format(c), Unapplied: s.unapplied.neg().format(c)})
	}
	return p
}
