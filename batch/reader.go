package batch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/arkeep/arkeep/domain"
)

// MaxLine is the longest line the Reader accepts, in bytes (without the newline).
const MaxLine = 16 << 20

// Item is one parsed command of a batch file.
type Item struct {
	Line int            // 1-based line number
	Cmd  domain.Command // the parsed command
	Hash string         // content hash (see ParseCommand)
}

// LineError is a refused line: its 1-based number and the refusal (a
// *domain.FieldError).
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// Reader reads JSON Lines: one command per line; blank (whitespace-only) lines are
// skipped but counted in line numbers.
type Reader struct {
	br   *bufio.Reader
	line int
	err  error // sticky read error (io.EOF at the end)
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next command with its 1-based line number, or io.EOF at the end. A
// malformed line returns a *LineError; the following call continues with the next
// line. Other errors come from the underlying reader.
func (r *Reader) Next() (Item, error) {
	for {
		if r.err != nil {
			return Item{}, r.err
		}
		raw, tooLong, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.err = io.EOF
				if raw == nil && !tooLong {
					return Item{}, io.EOF
				}
			} else {
				r.err = err
				return Item{}, err
			}
		}
		r.line++
		if tooLong {
			return Item{}, &LineError{Line: r.line, Err: domain.Invalidf(FieldJSON, "the line is longer than %d MiB", MaxLine>>20)}
		}
		if r.line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		cmd, hash, perr := ParseCommand(raw)
		if perr != nil {
			return Item{}, &LineError{Line: r.line, Err: perr}
		}
		return Item{Line: r.line, Cmd: cmd, Hash: hash}, nil
	}
}

// readLine reads one line without its "\n" or "\r\n". At the end of input it returns
// io.EOF, with the last line if it had no newline (raw nil when there was none). A
// line over MaxLine is consumed and reported with tooLong.
func (r *Reader) readLine() (raw []byte, tooLong bool, err error) {
	buf := []byte{}
	started := false
	for {
		chunk, rerr := r.br.ReadSlice('\n')
		if len(chunk) > 0 {
			started = true
		}
		if !tooLong {
			if len(buf)+len(chunk) > MaxLine+2 { // room for "\r\n"
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, bufio.ErrBufferFull):
			continue
		case errors.Is(rerr, io.EOF):
			if !started {
				return nil, false, io.EOF
			}
			err = io.EOF
		default:
			return nil, false, rerr
		}
		if tooLong {
			return nil, true, err
		}
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		buf = bytes.TrimSuffix(buf, []byte("\r"))
		if len(buf) > MaxLine {
			return nil, true, err
		}
		return buf, false, err
	}
}

// Lines is the number of lines read so far, blank ones included.
func (r *Reader) Lines() int { return r.line }
