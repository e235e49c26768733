/** The objects carried in `event.data.object` (contract §2). Timestamps are ISO 8601 strings, UTC. */

/** Where a PatientFlow stands. */
export type PatientFlowStatus = "open" | "complete" | "expired";

/**
 * A hosted flow in which a patient connects their health records. Carried, in full, by
 * `patient_flow.completed` once the patient finishes (whether or not a connection succeeded).
 */
export interface PatientFlow {
  /** PatientFlow id, `pf_…`. */
  id: string;
  /** Always `"patient_flow"`. */
  resource_type: "patient_flow";
  /** `"open"` while the patient can still use it, `"complete"` once finished, `"expired"` past `expires_at`. */
  status: PatientFlowStatus;
  /** The hosted flow URL the patient was sent to. */
  url: string;
  /** Your identifier for the patient, as given when the flow was created. */
  patient_id: string;
  /** Direct mode: the EHR source (`fhirsrc_…`) the patient was sent straight to; `null` in picker mode. */
  connection_id: string | null;
  /** Picker mode: the EHR sources (`fhirsrc_…`) suggested to the patient; `null` in direct mode. */
  recommended_connection_ids: string[] | null;
  /** Where the patient is sent back to when the flow ends. */
  return_url: string;
  /** Label of the button that returns the patient to `return_url`; `null` for the default label. */
  return_button_label: string | null;
  /** Every connection attempt made in this flow, successful or failed. */
  connections: Connection[];
  /** When the flow stops accepting the patient. */
  expires_at: string;
  /** Your key-value data, attached when the flow was created, returned as given. */
  metadata: Record<string, unknown>;
  /** When the flow was created. */
  created_at: string;
}

/** The state of a patient's connection to one EHR source. */
export type ConnectionStatus = "active" | "failed" | "expired" | "refresh_failed" | "disconnected";

/**
 * A patient's connection to one EHR source. Carried by `connection.token_refresh_failed`, and
 * listed in `PatientFlow.connections`.
 */
export interface Connection {
  /** Connection id, `conn_…`; `null` for an authorization attempt that failed before a connection existed. */
  id: string | null;
  /** Always `"connection"`. */
  resource_type: "connection";
  /** The EHR source this connection reaches, `fhirsrc_…`. */
  connection_id: string;
  /** Your identifier for the patient. */
  patient_id: string;
  /**
   * `"active"`: records can be pulled. `"failed"`: authorization did not complete. `"expired"`: the
   * grant ran out. `"refresh_failed"`: the EHR refused the refresh token, the patient must reconnect.
   * `"disconnected"`: revoked by the patient or by you.
   */
  status: ConnectionStatus;
  /** Machine-readable reason of the last failure (for example `"access_denied"`); `null` if none. */
  failure_code: string | null;
  /** When the last failure happened; `null` if none. */
  failure_at: string | null;
  /** When the connection (or the attempt) was created. */
  created_at: string;
}

/** Summary of a background records pull that finished; carried by `records.sync.completed`. */
export interface RecordsSyncCompleted {
  /** Always `"records_sync"`. */
  resource_type: "records_sync";
  /** Your identifier for the patient whose records were pulled. */
  patient_id: string;
  /** The EHR source (`fhirsrc_…`) the records were pulled from. */
  connection_id: string;
  /** Records pulled (an integer). */
  total: number;
  /** Records that could not be pulled or stored (an integer). */
  errors: number;
  /** How long the pull took, in milliseconds (an integer). */
  duration_ms: number;
}

/**
 * A background records pull that errored and will not retry without intervention; carried by
 * `records.sync.failed`.
 */
export interface RecordsSyncFailed {
  /** Always `"records_sync"`. */
  resource_type: "records_sync";
  /** Your identifier for the patient whose records were being pulled. */
  patient_id: string;
  /** The EHR source (`fhirsrc_…`) the pull was reading from. */
  connection_id: string;
  /** What went wrong, human-readable. */
  error_message: string;
}
