/**
 * UpdateFeatures checks (Kafka's FeatureControlManager.updateFeature / updateMetadataVersion):
 * a new level must be supported by this controller and by every registered broker; lowering a
 * level needs a downgrade upgrade-type; metadata.version cannot be downgraded in this version
 * (Kafka refuses both safe and unsafe metadata downgrades unless nothing changed between the
 * levels, and Fjord supports no pair of levels that qualifies); kraft.version belongs to the
 * Raft layer (KRaftVersionRecord), not to a FeatureLevelRecord, so the controller refuses to
 * change it. Pure: takes the state it needs as arguments.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { type FeatureRange, KRAFT_VERSION, METADATA_VERSION } from './controller-config.js';
import type { ConfigFailure } from './config-control.js';

/** FeatureUpdate.UpgradeType ids (UpdateFeatures v1+). */
export const UPGRADE = 1;
export const SAFE_DOWNGRADE = 2;
export const UNSAFE_DOWNGRADE = 3;

export interface BrokerFeatures {
  id: number;
  features: readonly FeatureRange[];
}

const invalid = (feature: string, level: number, reason: string): ConfigFailure => ({
  errorCode: ErrorCode.INVALID_UPDATE_VERSION,
  errorMessage: `Invalid update version ${level} for feature ${feature}. ${reason}`,
});

/** The broker's range for a feature; a feature it does not list is supported at level 0 only. */
export function brokerRange(features: readonly FeatureRange[], name: string): { minVersion: number; maxVersion: number } {
  return features.find((f) => f.name === name) ?? { minVersion: 0, maxVersion: 0 };
}

export function validateFeatureUpdate(
  feature: string,
  newLevel: number,
  upgradeType: number,
  currentLevel: number,
  controllerFeatures: readonly FeatureRange[],
  brokers: readonly BrokerFeatures[],
): ConfigFailure | null {
  const local = controllerFeatures.find((f) => f.name === feature);
  if (local === undefined) return invalid(feature, newLevel, 'The controller does not support the given feature.');
  if (upgradeType < UPGRADE || upgradeType > UNSAFE_DOWNGRADE) return invalid(feature, newLevel, `Unknown upgrade type ${upgradeType}.`);
  if (feature === METADATA_VERSION && newLevel <= 0) return invalid(feature, newLevel, 'The metadata.version feature cannot be disabled.');
  if (newLevel < local.minVersion || newLevel > local.maxVersion) {
    if (!(newLevel === 0 && feature !== METADATA_VERSION)) {
      return invalid(feature, newLevel, `Local controller only supports versions ${local.minVersion}-${local.maxVersion}`);
    }
  }
  if (feature === KRAFT_VERSION && newLevel !== currentLevel) {
    return invalid(feature, newLevel, 'kraft.version is changed by the Raft layer (KRaftVersionRecord), which Fjord does not do yet.');
  }
  for (const broker of brokers) {
    const range = brokerRange(broker.features, feature);
    if (newLevel < range.minVersion || newLevel > range.maxVersion) {
      return invalid(feature, newLevel, `Broker ${broker.id} only supports versions ${range.minVersion}-${range.maxVersion}`);
    }
  }
  if (newLevel < currentLevel) {
    if (upgradeType === UPGRADE) {
      return invalid(
        feature,
        newLevel,
        "Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.",
      );
    }
    if (feature === METADATA_VERSION) {
      return upgradeType === SAFE_DOWNGRADE
        ? invalid(feature, newLevel, 'Refusing to perform the requested downgrade because it might delete metadata information.')
        : invalid(feature, newLevel, 'Unsafe metadata downgrade is not supported in this version.');
    }
  }
  return null;
}
