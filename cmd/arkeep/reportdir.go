package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
)

// writeDailyReports writes the day's ageing and bad-debt CSVs into dir, once a day:
// a file already there is left alone, so every instance and every tick of the clock may
// call it. Files are written to a temporary name and renamed, so a reader never sees a
// half-written report.
func writeDailyReports(dir string, live *projections.Live, day domain.Date) (written []string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report dir: %w", err)
	}
	reports := []struct {
		name  string
		build func(*domain.Books) projections.Tabular
	}{
		{"ageing", func(b *domain.Books) projections.Tabular {
			return projections.Ageing(b, day, projections.BasisDue, projections.DefaultBuckets())
		}},
		{"baddebt", func(b *domain.Books) projections.Tabular { return projections.BadDebt(b, day) }},
	}
	for _, r := range reports {
		path := filepath.Join(dir, fmt.Sprintf("%s-%s.csv", r.name, day))
		if _, err := os.Stat(path); err == nil {
			continue
		}
		var rep projections.Tabular
		live.View(func(b *domain.Books) { rep = r.build(b) })
		var buf bytes.Buffer
		if err := projections.WriteCSV(&buf, rep); err != nil {
			return written, err
		}
		tmp, err := os.CreateTemp(dir, "."+r.name+"-*.tmp")
		if err != nil {
			return written, err
		}
		if _, err := tmp.Write(buf.Bytes()); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return written, err
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return written, err
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}
