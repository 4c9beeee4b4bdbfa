package metrics

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const (
	alertsFile     = "../deploy/prometheus/alerts.yml"
	alertsTestFile = "../deploy/prometheus/alerts_test.yml"
)

// TestAlertRules checks the rules and runs their promtool unit tests (each alert
// fires when it should and not just below its threshold). CI installs promtool
// (Debian: apt-get install prometheus).
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not on PATH: alert rules not checked (install it, e.g. apt-get install -y prometheus, to run this test)")
	}
	for _, args := range [][]string{{"check", "rules", alertsFile}, {"test", "rules", alertsTestFile}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAlertRulesUseExportedMetrics: every ar_ metric the rules (and their tests) name
// is one this package exports, so a renamed metric cannot silence an alert.
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	exported := map[string]bool{}
	for _, d := range newDescs().all() {
		m := regexp.MustCompile(`fqName: "([a-z_]+)"`).FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read the name of %s", d)
		}
		exported[m[1]] = true
	}
	for _, f := range []string{alertsFile, alertsTestFile} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names := regexp.MustCompile(`\bar_[a-z_]+\b`).FindAllString(string(data), -1)
		if len(names) == 0 {
			t.Fatalf("%s names no ar_ metric", f)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("%s uses %s, which the collector does not export", f, n)
			}
		}
	}
}
