package ledger

import "testing"

// The reader forgets an entity's route when the last queued command creating it is
// done, and not before: until then commands naming the entity must queue behind it.
func TestFinishedRoutesForgetWhenLastCreatorIsDone(t *testing.T) {
	inv := entityKey{"invoice", "INV-1"}
	pay := entityKey{"payment", "PAY-1"}
	pending := map[entityKey]route{inv: {cust: "C1", queued: 2}, pay: {cust: "C2", queued: 1}}
	var f finishedRoutes

	f.add([]job{{creates: inv}, {}}) // a job that creates nothing is not counted
	f.forget(pending)
	if r, ok := pending[inv]; !ok || r != (route{cust: "C1", queued: 1}) {
		t.Fatalf("after one of two creators is done: route %+v, %v; want C1 with 1 queued", r, ok)
	}
	if _, ok := pending[pay]; !ok {
		t.Fatal("a route whose creator is still queued was forgotten")
	}

	f.add([]job{{creates: inv}, {creates: pay}, {creates: entityKey{"invoice", "cleared by a barrier"}}})
	f.forget(pending)
	if len(pending) != 0 {
		t.Fatalf("routes left after every creator is done: %v", pending)
	}
	f.forget(pending) // nothing finished since: nothing to do
	if len(f.keys) != 0 {
		t.Fatalf("finished keys kept after forget: %v", f.keys)
	}
}
