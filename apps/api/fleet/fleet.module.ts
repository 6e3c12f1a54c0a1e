import { Module } from '@nestjs/common';
import { FleetSetupController } from './fleet-setup.controller';
import { FleetSetupService } from './fleet-setup.service';
import { SimulatedFleetOnly } from './simulated-only.guard';
import { FleetController } from './fleet.controller';
import { FleetService } from './fleet.service';

@Module({ controllers: [FleetController, FleetSetupController], providers: [FleetService, FleetSetupService, SimulatedFleetOnly], exports: [FleetSetupService, SimulatedFleetOnly] })
export class FleetModule {}
