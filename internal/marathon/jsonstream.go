package marathon

import (
	"errors"
	"fmt"
	"io"
)

// stream cuts a JSON body into values as it is read, so that only one value
// at a time is in memory. It finds where a value ends without validating
// it; the scanner that decodes the value does.
type stream struct {
	r   io.Reader
	buf []byte // buf[off:] is read and not yet consumed
	off int
	err error // of the last read; io.EOF at the end
}

// fill reads more of the body, keeping buf[off:].
func (st *stream) fill() error {
	if st.err != nil {
		if st.err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return st.err
	}
	if st.off > 0 {
		n := copy(st.buf, st.buf[st.off:])
		st.buf, st.off = st.buf[:n], 0
	}
	if len(st.buf) == cap(st.buf) {
		st.buf = append(st.buf, make([]byte, cap(st.buf))...)[:len(st.buf)]
	}
	n, err := st.r.Read(st.buf[len(st.buf):cap(st.buf)])
	st.buf = st.buf[:len(st.buf)+n]
	if err != nil {
		st.err = err
		if n == 0 && err != io.EOF {
			return err
		}
	}
	return nil
}

// peek skips white space and returns the next byte without consuming it.
func (st *stream) peek() (byte, error) {
	for {
		for ; st.off < len(st.buf); st.off++ {
			switch c := st.buf[st.off]; c {
			case ' ', '\t', '\n', '\r':
			default:
				return c, nil
			}
		}
		if err := st.fill(); err != nil {
			return 0, err
		}
	}
}

func (st *stream) expect(want byte) error {
	c, err := st.peek()
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("want %q, got %q", want, c)
	}
	st.off++
	return nil
}

// skip validates and passes over one value.
func (st *stream) skip() error {
	v, err := st.value()
	if err != nil {
		return err
	}
	s := scanner{data: v}
	if err := s.skip(); err != nil {
		return err
	}
	return s.end()
}

// value returns the bytes of the next value, valid until the next call.
func (st *stream) value() ([]byte, error) {
	if _, err := st.peek(); err != nil {
		return nil, err
	}
	// i is relative to off, which fill may move.
	depth, inString, escaped := 0, false, false
	first := st.buf[st.off]
	scalar := first != '{' && first != '[' && first != '"'
	for i := 0; ; {
		b := st.buf[st.off:]
		for ; i < len(b); i++ {
			c := b[i]
			switch {
			case inString:
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
					if depth == 0 {
						return st.take(i + 1), nil
					}
				}
			case scalar:
				switch c {
				case ',', '}', ']', ' ', '\t', '\n', '\r':
					return st.take(i), nil
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					return st.take(i + 1), nil
				}
				if depth < 0 {
					return nil, errors.New("unbalanced brackets")
				}
			}
		}
		if err := st.fill(); err != nil {
			if scalar && errors.Is(err, io.ErrUnexpectedEOF) && i > 0 {
				return st.take(i), nil
			}
			return nil, err
		}
	}
}

func (st *stream) take(n int) []byte {
	v := st.buf[st.off : st.off+n]
	st.off += n
	return v
}
