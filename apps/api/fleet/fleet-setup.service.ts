import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SimulatedFleet } from '../../../activities/providers/simulated/fleet';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PalisadeError } from '../../../lib/errors';
import { Redactor } from '../../../lib/intake/redact';
import { vendorsInUse, loadProvidersConfig } from '../../../lib/providers/providers-file';
import { isUniqueViolation } from '../common/db-errors';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import type { AddAccountDto, AddCredentialDto, AddHostsDto, AddResourceDto, SetFaultDto } from './dto/fleet-setup.dto';

/** Changes to the simulated fleet a game day makes before and while it runs (admin only). */
@Injectable()
export class FleetSetupService {
  private readonly fleet: SimulatedFleet;
  /** Vendors other than simulated in runbooks/providers.yaml (read once: the worker reads it once too). */
  private readonly realVendors: { capability: string; vendor: string }[];

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
  ) {
    this.fleet = new SimulatedFleet(db);
    this.realVendors = vendorsInUse(loadProvidersConfig(config.playbooks.providersFile)).filter((v) => v.vendor !== 'simulated');
  }

  /**
   * Game days drive real playbooks and approve their gates: against real vendors that would
   * isolate real hosts and revoke real keys. So the fleet can be set up only while every
   * capability is served by the simulated vendor.
   */
  assertSimulated(): void {
    const real = this.realVendors;
    if (real.length > 0) {
      throw new ApiError(
        HttpStatus.CONFLICT,
        'fleet_not_simulated',
        `This engine acts on real infrastructure (${real.map((v) => `${v.capability}: ${v.vendor}`).join(', ')}); game days and fleet setup run only on the simulated fleet.`,
        'Run the game day against an engine whose runbooks/providers.yaml uses simulated for every capability (npm start does).',
      );
    }
  }

  /** Hosts start as a game day expects them: in service, not isolated, unpatched (a re-run starts over). */
  async addHosts(dto: AddHostsDto): Promise<{ hosts: number }> {
    for (const h of dto.hosts) await this.fleet.addHost({ isolated: false, online: true, patches: [], ...h });
    return { hosts: dto.hosts.length };
  }

  /** The secret is fingerprinted as intake fingerprints leaked values, then forgotten. */
  async addCredential(dto: AddCredentialDto): Promise<{ id: string }> {
    const key = this.config.intake.redactionKey;
    if (!key) throw new PalisadeError('redaction_key_missing', 'PALISADE_REDACTION_KEY is not set: the credential cannot be fingerprinted.', 'Set PALISADE_REDACTION_KEY (npm start makes one).');
    const { secret, ...rest } = dto;
    const fingerprint = new Redactor(Buffer.from(key)).fingerprint(secret);
    try {
      // The last four characters, not UTF-16 units: an emoji is one character, as the schemas count.
      await this.fleet.addCredential({ ...rest, status: 'active', fingerprint, last4: [...secret].slice(-4).join('') });
    } catch (err) {
      if (!isUniqueViolation(err, 'sim_credentials_fingerprint_key')) throw err;
      const [other] = await this.db.query<{ id: string }[]>(`SELECT id FROM sim_credentials WHERE fingerprint = $1`, [fingerprint]);
      throw new ApiError(
        HttpStatus.CONFLICT,
        'secret_in_use',
        `Simulated credential ${other?.id ?? '(another)'} has the same secret: a leak of it could not tell them apart.`,
        'Give each credential a secret of its own, or post that credential again (same id) to change it.',
      );
    }
    return { id: dto.id };
  }

  /** Every field is given (the scenario's defaults): a re-run starts the account over, enabled, its keys as listed. */
  async addAccount(dto: AddAccountDto): Promise<{ id: string }> {
    await this.fleet.addAccount(dto);
    return { id: dto.id };
  }

  /** `current` differing from `baseline` starts the resource drifted. */
  async addResource(dto: AddResourceDto): Promise<{ id: string }> {
    const { current, ...rest } = dto;
    await this.fleet.addResource(rest);
    if (current) await this.fleet.setCurrentConfig(dto.id, current);
    return { id: dto.id };
  }

  async setFault(dto: SetFaultDto): Promise<{ capability: string; action: string; target: string }> {
    const { capability, ...spec } = dto;
    await this.fleet.setFault(capability, spec);
    return { capability, action: spec.action ?? '*', target: spec.target ?? '*' };
  }

  /** Clears the faults matching what is given (nothing: every fault). */
  async clearFaults(filter: { capability?: string; action?: string; target?: string }): Promise<{ cleared: number }> {
    const rows = await this.db.query<unknown[]>(
      `WITH d AS (DELETE FROM sim_faults WHERE ($1::text IS NULL OR capability = $1) AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR target = $3) RETURNING 1) SELECT * FROM d`,
      [filter.capability ?? null, filter.action ?? null, filter.target ?? null],
    );
    return { cleared: rows.length };
  }
}
