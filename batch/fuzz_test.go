package batch

import (
	"errors"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

func FuzzParseCommand(f *testing.F) {
	for _, tc := range validLines {
		f.Add([]byte(tc.line))
	}
	f.Add([]byte(invoice(`"12."`, `"CNY"`)))
	f.Add([]byte(payment(`[{"invoice":"I","amount":"1"}]`)))
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, hash, err := ParseCommand(line)
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				err = le.Err
			}
			var fe *domain.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error %T %v has no field", err, err)
			}
			if cmd != nil || hash != "" {
				t.Fatalf("refusal with a command")
			}
			return
		}
		if cmd == nil || len(hash) != 64 {
			t.Fatalf("accepted without command or hash")
		}
		// the hash is a function of the content
		if _, h2, err := ParseCommand(line); err != nil || h2 != hash {
			t.Fatalf("second parse differs")
		}
	})
}
