// Whether the device can still be used: its loss (after which every call of the runtime throws the
// DeviceLostError) and the validation errors WebGPU reports as uncaptured errors, kept until the runtime next
// checks (at a read or `finish`) and then thrown as one BridgeTowerError, or appended to a failure's message.
import { BridgeTowerError, DeviceLostError } from '../errors';

export class DeviceHealth {
  private lost: DeviceLostError | null = null;
  private readonly errors: string[] = [];

  constructor(device: GPUDevice, onDeviceLost: (error: DeviceLostError) => void) {
    void device.lost.then((info) => {
      if (info.reason === 'destroyed') return;
      this.lost = new DeviceLostError(`the GPU device was lost (${info.reason}): ${info.message}`);
      onDeviceLost(this.lost);
    });
    device.addEventListener('uncapturederror', (ev) => {
      this.errors.push(ev.error.message);
    });
  }

  assertUsable(): void {
    if (this.lost) throw this.lost;
  }

  /** The errors reported so far, for the end of a failure's message ('' when none). */
  errorSuffix(): string {
    return this.errors.length ? ` (GPU errors: ${this.errors.join('; ')})` : '';
  }

  throwRecordedErrors(): void {
    if (this.errors.length) {
      const msg = this.errors.splice(0).join('; ');
      throw new BridgeTowerError('gpu', `WebGPU reported an error: ${msg}`);
    }
  }
}
