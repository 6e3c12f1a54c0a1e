import { Inject, Injectable, type CanActivate } from '@nestjs/common';
import { FleetSetupService } from './fleet-setup.service';

/** Every fleet-setup route: refused (409) while any capability is served by a real vendor. */
@Injectable()
export class SimulatedFleetOnly implements CanActivate {
  constructor(@Inject(FleetSetupService) private readonly setup: FleetSetupService) {}

  canActivate(): boolean {
    this.setup.assertSimulated();
    return true;
  }
}
