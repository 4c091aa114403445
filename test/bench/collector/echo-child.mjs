// The baseline: a bare Express 5 app that reads the body and answers 202, nothing durable.
import express from 'express';

const app = express();
app.post('/v1/ingest', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
  res.status(202).json({ ok: true, bytes: req.body.length });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
