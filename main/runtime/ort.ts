import './telemetry-off.js';
import ort from 'onnxruntime-node';

/** onnxruntime-node, imported only after its telemetry is turned off (see telemetry-off.ts). */
export default ort;
