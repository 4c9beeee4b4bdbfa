package domain

import (
	"testing"
	"unsafe"
)

// A million open invoices are held in memory; the struct is laid out to fit the
// allocator's 128-byte class. A new field must go behind invoiceHistory or earn its
// place here.
func TestInvoiceFitsIn128Bytes(t *testing.T) {
	if n := unsafe.Sizeof(Invoice{}); n > 128 {
		t.Fatalf("Invoice is %d bytes, more than 128", n)
	}
}
