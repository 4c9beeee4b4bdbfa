package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/arkeep/arkeep/eventstore"
)

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: arkeep events [flags]   prints every stream message as one JSON line: seq, subject, time, data")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	st, closeStore, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	_, err = st.Replay(ctx, 0, func(m eventstore.Msg) error {
		data := json.RawMessage(m.Data)
		if !json.Valid(m.Data) {
			b, _ := json.Marshal(string(m.Data))
			data = b
		}
		line, err := json.Marshal(struct {
			Seq     uint64          `json:"seq"`
			Subject string          `json:"subject"`
			Time    string          `json:"time"`
			Data    json.RawMessage `json:"data"`
		}{m.Seq, m.Subject, m.Time.UTC().Format("2006-01-02T15:04:05.000000000Z"), data})
		if err != nil {
			return err
		}
		w.Write(line)
		return w.WriteByte('\n')
	})
	return err
}
