package domain_test

import (
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

func TestDefaultPolicyIsTheSpecTable(t *testing.T) {
	// Given the SPEC section 6 default table, written as in SPEC.
	spec := map[int]string{
		1: "0i:notice, +1:due_reminder, +15:call, +30:call, +60:visit, +90:escalate",
		2: "0i:notice, -3:pre_due_reminder, +1:due_reminder, +7:call, +30:visit, +60:escalate",
		3: "0i:notice, -7:pre_due_reminder, 0:visit, +3:reminder, +7:call, +14:reminder, +21:reminder, +30:direct_demand, +45:credit_hold, +60:escalate",
		4: "0i:notice, -10:pre_due_reminder, -3:call, 0:visit, +1:direct_demand, +7:reminder, +15:credit_hold, +30:escalate",
		5: "0i:notice, -14:pre_due_reminder, -7:call, 0:visit, +1:direct_demand, +7:credit_hold, +14:escalate",
	}
	last := map[int]int{1: 90, 2: 60, 3: 60, 4: 30, 5: 14}
	p := domain.DefaultPolicy()
	if p.Version() != "default-1" {
		t.Errorf("version = %q", p.Version())
	}
	for g := 1; g <= 5; g++ {
		var rows []string
		for _, r := range p.Ladder(g) {
			rows = append(rows, r.String())
		}
		if got := strings.Join(rows, ", "); got != spec[g] {
			t.Errorf("grade %d ladder\n got %s\nwant %s", g, got, spec[g])
		}
		if p.LastOffset(g) != last[g] {
			t.Errorf("grade %d last offset = %d, want %d", g, p.LastOffset(g), last[g])
		}
	}
	if p.Ladder(0) != nil || p.Ladder(6) != nil {
		t.Error("ladders outside 1..5")
	}
}

const okGrades = `"1":["0i:notice"],"2":["0:visit"],"3":["+1:call"],"4":["-1:call"],"5":["+3660:escalate"]`

func TestParsePolicy(t *testing.T) {
	p, err := domain.ParsePolicy([]byte(`{"version":"v2","grades":{` + okGrades + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version() != "v2" || p.Ladder(5)[0].Offset != 3660 || p.Ladder(4)[0].Offset != -1 || !p.Ladder(1)[0].AtIssue {
		t.Errorf("parsed %+v", p)
	}
	if p.LastOffset(1) != 0 {
		t.Errorf("a ladder of 0i rows only repeats from the due date, got %d", p.LastOffset(1))
	}

	bad := []struct{ name, json, want string }{
		{"not json", `{`, "policy"},
		{"not an object", `[]`, "must be a JSON object"},
		{"missing version", `{"grades":{` + okGrades + `}}`, "version is missing"},
		{"empty version", `{"version":" ","grades":{` + okGrades + `}}`, "version must not be empty"},
		{"null version", `{"version":null,"grades":{` + okGrades + `}}`, "version must not be empty"},
		{"number version", `{"version":1,"grades":{` + okGrades + `}}`, "version must be a string"},
		{"missing grades", `{"version":"v"}`, "grades is missing"},
		{"unknown field", `{"version":"v","grades":{` + okGrades + `},"x":1}`, `unknown field "x"`},
		{"duplicate field", `{"version":"v","version":"w","grades":{` + okGrades + `}}`, `"version" appears twice`},
		{"trailing data", `{"version":"v","grades":{` + okGrades + `}} {}`, "after the object"},
		{"grade missing", `{"version":"v","grades":{"1":["0i:notice"],"2":["0i:notice"],"3":["0i:notice"],"4":["0i:notice"]}}`, "grade 5 is missing"},
		{"grade 6", `{"version":"v","grades":{` + okGrades + `,"6":["0i:notice"]}}`, `"6" is not a credit grade`},
		{"grade 01", `{"version":"v","grades":{` + okGrades + `,"01":["0i:notice"]}}`, `"01" is not a credit grade`},
		{"duplicate grade", `{"version":"v","grades":{` + okGrades + `,"1":["0i:notice"]}}`, `"1" appears twice`},
		{"empty ladder", `{"version":"v","grades":{` + strings.Replace(okGrades, `["0i:notice"]`, `[]`, 1) + `}}`, `grades["1"] is an empty ladder`},
		{"ladder not array", `{"version":"v","grades":{` + strings.Replace(okGrades, `["0i:notice"]`, `"0i:notice"`, 1) + `}}`, `must be an array`},
		{"null row", `{"version":"v","grades":{` + strings.Replace(okGrades, `["0i:notice"]`, `["0i:notice",null]`, 1) + `}}`, `grades["1"][1] is null`},
		{"no colon", `{"version":"v","grades":{` + strings.Replace(okGrades, `"0i:notice"`, `"0i notice"`, 1) + `}}`, `want "offset:action"`},
		{"unknown action", `{"version":"v","grades":{` + strings.Replace(okGrades, `"+1:call"`, `"+1:cal"`, 1) + `}}`, `grades["3"][0] "+1:cal": "cal" is not a collection action`},
		{"short payment row", `{"version":"v","grades":{` + strings.Replace(okGrades, `"+1:call"`, `"+1:short_payment_notice"`, 1) + `}}`, "cannot be a ladder row"},
		{"duplicate row", `{"version":"v","grades":{` + strings.Replace(okGrades, `["+1:call"]`, `["+1:call","+2:call","+1:call"]`, 1) + `}}`, `grades["3"][2] "+1:call" repeats row 0`},
	}
	for _, off := range []string{"7", "+07", "+0", "-0", "0I", "1i", "+", "-", "+1.5", "+1e3", "++1", "+3661", "-3661", " +1", "+99999999999999999999"} {
		bad = append(bad, struct{ name, json, want string }{"offset " + off,
			`{"version":"v","grades":{` + strings.Replace(okGrades, `"+1:call"`, `"`+off+`:call"`, 1) + `}}`, "offset"})
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := domain.ParsePolicy([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestDefaultPolicyJSONRoundTrip(t *testing.T) {
	p, err := domain.ParsePolicy(domain.DefaultPolicyJSON())
	if err != nil {
		t.Fatal(err)
	}
	for g := 1; g <= 5; g++ {
		if len(p.Ladder(g)) != len(domain.DefaultPolicy().Ladder(g)) {
			t.Errorf("grade %d", g)
		}
	}
}
