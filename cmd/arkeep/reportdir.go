package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/projections"
)

// dailyReports is serve's --report-dir step, run on every tick of the clock. Once a day
// it waits until the live projection has folded everything the stream held, then writes
// the day's reports; a day whose reports are in the directory is not looked at again.
// It is used by one goroutine.
type dailyReports struct {
	dir     string
	live    *projections.Live
	lastSeq func(context.Context) (uint64, error) // the stream's last sequence
	done    domain.Date                           // the last day written; domain.NoDate at first
}

// write writes day's reports unless that was done already. When the stream's last
// sequence cannot be read, nothing is written (the projection may lag behind the
// stream) and the error is returned: the next tick tries again.
func (d *dailyReports) write(ctx context.Context, day domain.Date) (written []string, err error) {
	if day == d.done {
		return nil, nil
	}
	seq, err := d.lastSeq(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.live.WaitFor(ctx, seq); err != nil {
		return nil, fmt.Errorf("wait for the projection to reach stream sequence %d: %w", seq, err)
	}
	if written, err = writeDailyReports(d.dir, d.live, day); err != nil {
		return written, err
	}
	d.done = day
	return written, nil
}

// writeDailyReports writes the day's ageing and bad-debt CSVs into dir, once a day:
// a file already there is left alone, so every instance and every tick of the clock may
// call it. Files are written to a temporary name and renamed, so a reader never sees a
// half-written report.
func writeDailyReports(dir string, live *projections.Live, day domain.Date) (written []string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report dir: %w", err)
	}
	names := []string{"ageing", "baddebt"}
	paths := make([]string, len(names))
	present := make([]bool, len(names))
	missing := false
	for i, name := range names {
		paths[i] = filepath.Join(dir, fmt.Sprintf("%s-%s.csv", name, day))
		_, err := os.Stat(paths[i])
		present[i] = err == nil
		missing = missing || !present[i]
	}
	if !missing {
		return nil, nil
	}
	// Both reports from one scan of the invoices.
	var reps []projections.Tabular
	live.View(func(b *domain.Books) {
		ageing, badDebt := projections.AgeingAndBadDebt(b, day, projections.BasisDue, projections.DefaultBuckets())
		reps = []projections.Tabular{ageing, badDebt}
	})
	for i, rep := range reps {
		path := paths[i]
		if present[i] {
			continue
		}
		// Looked for again: another instance may have written it while this one made
		// the reports.
		if _, err := os.Stat(path); err == nil {
			continue
		}
		var buf bytes.Buffer
		if err := projections.WriteCSV(&buf, rep); err != nil {
			return written, err
		}
		tmp, err := os.CreateTemp(dir, "."+names[i]+"-*.tmp")
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
