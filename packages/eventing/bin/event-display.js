#!/usr/bin/env node
// event-display: logs every CloudEvent it receives, as Knative's sample (knative/eventing cmd/event_display) prints
// it, and answers 202 with no reply. Binary and structured mode. Listens on $PORT (kdp gives every service one).
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);

function print(attrs, data) {
  const known = ['specversion', 'type', 'source', 'subject', 'id', 'time', 'dataschema', 'schemaurl', 'datacontenttype'];
  let out = '☁️  cloudevents.Event\nContext Attributes,\n';
  for (const k of known) if (attrs[k] !== undefined) out += `  ${k}: ${attrs[k]}\n`;
  const ext = Object.keys(attrs).filter((k) => !known.includes(k)).sort();
  if (ext.length > 0) out += 'Extensions,\n' + ext.map((k) => `  ${k}: ${attrs[k]}\n`).join('');
  if (data !== undefined && data.length > 0) {
    let text = data.toString('utf8');
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: print as is
    }
    out += 'Data,\n' + text.split('\n').map((l) => `  ${l}`).join('\n') + '\n';
  }
  process.stdout.write(out);
}

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ct = req.headers['content-type'] ?? '';
      const attrs = {};
      let data = body;
      if (ct.startsWith('application/cloudevents+json')) {
        const obj = JSON.parse(body.toString('utf8'));
        for (const [k, v] of Object.entries(obj)) if (k !== 'data' && k !== 'data_base64') attrs[k] = String(v);
        data = obj.data_base64 !== undefined ? Buffer.from(obj.data_base64, 'base64') : obj.data === undefined ? undefined : Buffer.from(typeof obj.data === 'string' ? obj.data : JSON.stringify(obj.data));
      } else {
        for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('ce-')) attrs[k.slice(3)] = String(v);
        if (ct !== '') attrs.datacontenttype = ct;
      }
      if (attrs.specversion === undefined) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('not a CloudEvent\n');
        return;
      }
      print(attrs, data);
      res.writeHead(202).end();
    });
  })
  .listen(port, () => process.stdout.write(`event-display listening on ${port}\n`));
