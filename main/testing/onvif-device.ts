import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal ONVIF device (Profile S) for tests: the device and media service calls the onvif
 * library makes to list stream URIs — GetSystemDateAndTime, GetServices (refused, so the library
 * falls back to GetCapabilities as it does for older cameras), GetCapabilities, GetProfiles,
 * GetVideoSources, GetStreamUri. Requests without the expected WS-Security user are answered 401.
 */
export class FakeOnvifDevice {
  private server: Server | null = null;
  port = 0;
  constructor(
    private readonly user: string,
    private readonly profiles: { token: string; name: string; uri: string }[],
    /** False: profiles without a video encoder, as some cameras send (the library stalls on them). */
    private readonly encoder = true,
  ) {}

  private envelope(body: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
  }

  private answer(xml: string): { status: number; body: string } {
    const base = `http://127.0.0.1:${this.port}`;
    if (xml.includes('GetSystemDateAndTime')) {
      const d = new Date();
      return {
        status: 200,
        body: this.envelope(
          `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
        ),
      };
    }
    // Everything else needs the camera's user in a WS-Security UsernameToken.
    if (!xml.includes(`<Username>${this.user}</Username>`))
      return {
        status: 401,
        body: this.envelope(
          '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Sender not Authorized</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
        ),
      };
    if (xml.includes('GetServices'))
      return {
        status: 500,
        body: this.envelope(
          '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Receiver</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:ActionNotSupported</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Optional Action Not Implemented</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
        ),
      };
    if (xml.includes('GetCapabilities'))
      return {
        status: 200,
        body: this.envelope(
          `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base}/onvif/device_service</tt:XAddr></tt:Device><tt:Media><tt:XAddr>${base}/onvif/media</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
        ),
      };
    if (xml.includes('GetProfiles'))
      return {
        status: 200,
        body: this.envelope(
          `<trt:GetProfilesResponse>${this.profiles
            .map(
              (p) =>
                `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name><tt:VideoSourceConfiguration token="vsc0"><tt:Name>vsc</tt:Name><tt:UseCount>1</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>${!this.encoder ? '' : `<tt:VideoEncoderConfiguration token="vec-${p.token}"><tt:Name>enc</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></tt:VideoEncoderConfiguration>`}</trt:Profiles>`,
            )
            .join('')}</trt:GetProfilesResponse>`,
        ),
      };
    if (xml.includes('GetVideoSources'))
      return {
        status: 200,
        body: this.envelope(
          '<trt:GetVideoSourcesResponse><trt:VideoSources token="vs0"><tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>',
        ),
      };
    if (xml.includes('GetStreamUri')) {
      const token = /<ProfileToken>([^<]*)<\/ProfileToken>/.exec(xml)?.[1];
      const p = this.profiles.find((x) => x.token === token);
      if (!p) return { status: 500, body: this.envelope('<SOAP-ENV:Fault/>') };
      return {
        status: 200,
        body: this.envelope(
          `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${p.uri}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`,
        ),
      };
    }
    return { status: 500, body: this.envelope('<SOAP-ENV:Fault/>') };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += String(c)));
      req.on('end', () => {
        const a = this.answer(body);
        res.writeHead(a.status, { 'content-type': 'application/soap+xml; charset=utf-8' }).end(a.body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/onvif/device_service`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
