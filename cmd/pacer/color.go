package main

// wantColor decides whether text output gets ANSI colours: only on a
// terminal, and never with --no-color, NO_COLOR set to anything
// (https://no-color.org) or TERM=dumb. Today only the text plan of
// reconcile and diff is coloured; every other output is plain.
func wantColor(tty, noColorFlag bool, getenv func(string) string) bool {
	return tty && !noColorFlag && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}
