import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionUser } from '../accounts/sessions.js';
import { Api } from '../api/dispatch.js';
import type { DiscoveredCameraView } from '../contract/contract.js';
import { handlers } from '../api/handlers/index.js';
import { Engine } from '../engine/engine.js';
import { testContext } from '../testing/api-context.js';
import { discoverCameras, parseProbeMatch } from './discover.js';

const GROUP = '239.255.255.250';

/** What a real ONVIF camera answers to a WS-Discovery Probe (a ProbeMatches envelope). */
function probeMatches(relatesTo: string, urn: string, name: string, xaddr: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<SOAP-ENV:Header><wsa:MessageID>urn:uuid:0f0e0d0c-0000-4000-8000-000000000001</wsa:MessageID><wsa:RelatesTo>${relatesTo}</wsa:RelatesTo>
<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header>
<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>${urn}</wsa:Address></wsa:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/${encodeURIComponent(name)} onvif://www.onvif.org/hardware/LoopCam-1</d:Scopes>
<d:XAddrs>${xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

/**
 * A WS-Discovery test responder on this host: joins the multicast group on UDP 3702 like a camera
 * and answers each Probe for NetworkVideoTransmitters; the probe and its answers never leave the
 * machine (multicast loopback).
 */
describe('ONVIF WS-Discovery', () => {
  let responder: Socket;
  const probes: string[] = [];

  beforeAll(async () => {
    responder = createSocket({ type: 'udp4', reuseAddr: true });
    responder.on('message', (msg, from) => {
      const text = msg.toString('utf8');
      if (!text.includes('NetworkVideoTransmitter')) return;
      const id = /MessageID[^>]*>([^<]+)</.exec(text)?.[1] ?? '';
      probes.push(id);
      // A non-ONVIF device on the same network answers with something else: it must be ignored.
      responder.send('<not-soap>hello</not-soap>', from.port, from.address);
      responder.send(
        probeMatches(
          id,
          'urn:uuid:5f1a7c2e-0000-4000-8000-00000000cafe',
          'Loop Door Cam',
          'http://127.0.0.1:18080/onvif/device_service',
        ),
        from.port,
        from.address,
      );
    });
    await new Promise<void>((resolve) => responder.bind(3702, resolve));
    responder.addMembership(GROUP);
  });
  afterAll(() => responder?.close());

  it('finds the test responder with its name, hardware and device service address', async () => {
    const cams = await discoverCameras({ timeoutMs: 1500 });
    expect(probes.length).toBeGreaterThan(0);
    expect(probes[0]).toMatch(/^urn:uuid:/);
    const cam = cams.find((c) => c.urn === 'urn:uuid:5f1a7c2e-0000-4000-8000-00000000cafe');
    expect(cam).toEqual({
      urn: 'urn:uuid:5f1a7c2e-0000-4000-8000-00000000cafe',
      name: 'Loop Door Cam',
      hardware: 'LoopCam-1',
      xaddrs: ['http://127.0.0.1:18080/onvif/device_service'],
    });
  });

  it('is offered to the console as cameras.discover (administrators), audited', async () => {
    const engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-discover-')) });
    try {
      const api = new Api(handlers);
      const admin = await api.call(testContext(engine, sessionUser('a', 'admin')), {
        method: 'cameras.discover',
        params: { timeout_ms: 1000 },
      });
      const found = (admin.ok ? admin.result : []) as DiscoveredCameraView[];
      expect(found.some((c) => c.name === 'Loop Door Cam')).toBe(true);
      const viewer = await api.call(testContext(engine, sessionUser('v', 'viewer')), {
        method: 'cameras.discover',
        params: {},
      });
      expect(viewer.ok ? 'OK' : viewer.error.code).toBe('FORBIDDEN');
      const rows = engine.store.sql
        .prepare("SELECT details FROM audit_log WHERE action = 'cameras_discovered'")
        .all();
      expect(rows).toHaveLength(1);
    } finally {
      engine.close();
    }
  });

  it('skips answers that are not usable probe matches', () => {
    expect(parseProbeMatch(null)).toBeNull();
    expect(parseProbeMatch({ probeMatches: { probeMatch: { XAddrs: 'http://x' } } })).toBeNull();
    expect(
      parseProbeMatch({
        probeMatches: {
          probeMatch: {
            endpointReference: { address: 'urn:a' },
            XAddrs: 'javascript:alert(1) http://10.0.0.9/onvif/device_service',
          },
        },
      }),
    ).toEqual({ urn: 'urn:a', name: null, hardware: null, xaddrs: ['http://10.0.0.9/onvif/device_service'] });
  });
});
