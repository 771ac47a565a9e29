// Package ivrticket lets IVR flows open tickets: Creator implements
// ivr.TicketCreator over the ticket desk, mapping a flow's ticket request
// (fault report, callback request, offline message) to a ticket Draft.
package ivrticket
